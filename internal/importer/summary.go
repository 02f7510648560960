package importer

import (
	"fmt"
	"io"
)

// WriteText writes the summary for people: counts first, then every
// listed conflict on a line of its own.
func (s *Summary) WriteText(w io.Writer) error {
	status := map[Status]string{Committed: "已导入 / imported", DryRun: "试运行，未写入 / dry run, nothing written",
		Rejected: "已拒绝，未写入任何数据 / rejected, nothing written"}[s.Status]
	enc := s.Format
	if s.Encoding != "" {
		enc += ", " + s.Encoding
	}
	_, err := fmt.Fprintf(w, "文件 / file: %s (%s)\n状态 / status: %s\n行数 / rows: %d\n新增 / created: %d\n更新 / updated: %d\n未变 / unchanged: %d\n忽略 / ignored: %d\n冲突 / conflicts: %d\n",
		s.File, enc, status, s.Rows, s.Created, s.Updated, s.Unchanged, s.Ignored, s.ConflictCount)
	if err != nil {
		return err
	}
	for _, c := range s.Conflicts {
		if _, err := fmt.Fprintf(w, "  %s\n", c); err != nil {
			return err
		}
	}
	if more := s.ConflictCount - len(s.Conflicts); more > 0 {
		if _, err := fmt.Fprintf(w, "  ……另有 %d 个冲突未列出 / … %d more conflicts not listed\n", more, more); err != nil {
			return err
		}
	}
	if len(s.Warnings) > 0 {
		if _, err := fmt.Fprintf(w, "警告 / warnings: %d\n", len(s.Warnings)); err != nil {
			return err
		}
		for _, f := range s.Warnings {
			if _, err := fmt.Fprintf(w, "  %s %s: %s\n", f.RegionCode, f.Period, f.Message); err != nil {
				return err
			}
		}
	}
	return nil
}
