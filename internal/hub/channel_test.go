package hub

import "testing"

func TestSplitChannel(t *testing.T) {
	cases := []struct{ in, kind, file string }{
		{"api", "API", ""},
		{ChannelCLI, "CLI", ""},
		{ImportChannel("潍坊:2030.xlsx"), "IMPORT", "潍坊:2030.xlsx"},
		{"", "", ""},
	}
	for _, c := range cases {
		if k, f := SplitChannel(c.in); k != c.kind || f != c.file {
			t.Errorf("SplitChannel(%q) = %q, %q; want %q, %q", c.in, k, f, c.kind, c.file)
		}
	}
}
