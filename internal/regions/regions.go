// Package regions decides region-tree imports: it reads a tree file (CSV:
// code, name, parent code, level) and plans what importing it into a
// stored tree creates, renames and moves. Storage (internal/postgres)
// applies the plan and records it in the audit trail.
package regions

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/sixprot/hub/internal/hub"
)

// MaxRows bounds the rows of a tree file: a province has about 90,000
// villages; the country's 600,000 are imported province by province.
const MaxRows = 200_000

// codePattern is the GB/T 2260 style code the regions table accepts: 6
// digits for counties and above, 9 for towns, 12 for villages.
var codePattern = regexp.MustCompile(`^[0-9]{6}([0-9]{3}([0-9]{3})?)?$`)

// levels orders the levels from the top.
var levels = []hub.RegionLevel{hub.LevelProvince, hub.LevelCity, hub.LevelCounty, hub.LevelTown, hub.LevelVillage}

func depth(l hub.RegionLevel) int {
	for i, x := range levels {
		if x == l {
			return i
		}
	}
	return -1
}

// Parse reads a tree file: a header naming the columns code, name,
// parent_code (or parent) and level, in any order (an optional name_en is
// kept), then one region per line, UTF-8 with or without a BOM. A
// malformed line, a bad code or level, or a code given twice is EINVALID
// with the line number.
func Parse(r io.Reader) ([]*hub.Region, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, hub.Errorf(hub.EINVALID, "地区文件没有表头 / the region file has no header line: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(string(bytes.TrimPrefix([]byte(h), []byte("\ufeff")))))
		if h == "parent" {
			h = "parent_code"
		}
		col[h] = i
	}
	for _, need := range []string{"code", "name", "parent_code", "level"} {
		if _, ok := col[need]; !ok {
			return nil, hub.Errorf(hub.EINVALID, "地区文件缺少列 %s（需要 code,name,parent_code,level）/ the region file has no column %s (needed: code,name,parent_code,level)", need, need)
		}
	}
	field := func(rec []string, name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	var out []*hub.Region
	seen := map[string]int{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, hub.Errorf(hub.EINVALID, "地区文件第 %d 行无法读取 / line %d of the region file: %v", line, line, err)
		}
		if len(out) >= MaxRows {
			return nil, hub.Errorf(hub.EINVALID, "地区文件超过 %d 行 / the region file has more than %d rows", MaxRows, MaxRows)
		}
		r := &hub.Region{Code: field(rec, "code"), Name: field(rec, "name"), Level: hub.RegionLevel(strings.ToUpper(field(rec, "level")))}
		if p := field(rec, "parent_code"); p != "" {
			r.ParentCode = &p
		}
		if en := field(rec, "name_en"); en != "" {
			r.NameEn = &en
		}
		switch {
		case !codePattern.MatchString(r.Code):
			return nil, hub.Errorf(hub.EINVALID, "第 %d 行：代码 %q 须为 6、9 或 12 位数字 / line %d: code %q must be 6, 9 or 12 digits", line, r.Code, line, r.Code)
		case r.Name == "":
			return nil, hub.Errorf(hub.EINVALID, "第 %d 行：地区 %s 没有名称 / line %d: region %s has no name", line, r.Code, line, r.Code)
		case depth(r.Level) < 0:
			return nil, hub.Errorf(hub.EINVALID, "第 %d 行：未知层级 %q（PROVINCE、CITY、COUNTY、TOWN、VILLAGE）/ line %d: unknown level %q (PROVINCE, CITY, COUNTY, TOWN, VILLAGE)", line, r.Level, line, r.Level)
		case seen[r.Code] > 0:
			return nil, hub.Errorf(hub.EINVALID, "第 %d 行：代码 %s 已在第 %d 行出现 / line %d: code %s is already on line %d", line, r.Code, seen[r.Code], line, r.Code, seen[r.Code])
		}
		seen[r.Code] = line
		out = append(out, r)
	}
}

// Plan is what importing a file into a stored tree does.
type Plan struct {
	// Create are the new regions, parents before children.
	Create []*hub.Region
	// Rename are stored regions whose name (or English name, when the
	// file gives one) changes.
	Rename []*hub.Region
	// Move are stored regions whose parent changes, in file order.
	Move []*hub.Region
	// Summary counts and lists the changes.
	Summary hub.RegionImport
}

// NewPlan compares the file's regions with the stored tree. A region's
// code never changes and its level neither (a level change is a new code
// in the statistics bureau's scheme); a parent must exist in the file or
// the tree and sit one level above; no region may end up below itself.
// Regions of the tree the file does not name are left alone: a file may
// hold one county.
func NewPlan(stored, file []*hub.Region) (*Plan, error) {
	byCode := make(map[string]*hub.Region, len(stored)+len(file))
	old := make(map[string]*hub.Region, len(stored))
	for _, r := range stored {
		old[r.Code] = r
		byCode[r.Code] = r
	}
	p := &Plan{}
	for _, r := range file {
		o := old[r.Code]
		if o != nil && o.Level != r.Level {
			return nil, hub.Errorf(hub.EINVALID, "地区 %s 的层级不能由 %s 改为 %s（层级变化即新代码）/ region %s cannot change its level from %s to %s (a new level is a new code)",
				r.Code, o.Level, r.Level, r.Code, o.Level, r.Level)
		}
		byCode[r.Code] = r
	}
	// parents and levels in the tree as it will be
	for _, r := range file {
		if r.ParentCode == nil {
			if r.Level != hub.LevelProvince && r.Level != hub.LevelCity {
				return nil, hub.Errorf(hub.EINVALID, "地区 %s（%s）须有上级 / region %s (%s) needs a parent", r.Code, r.Level, r.Code, r.Level)
			}
			continue
		}
		parent := byCode[*r.ParentCode]
		if parent == nil {
			return nil, hub.Errorf(hub.EINVALID, "地区 %s 的上级 %s 不存在 / the parent %s of region %s does not exist", r.Code, *r.ParentCode, *r.ParentCode, r.Code)
		}
		if depth(r.Level) != depth(parent.Level)+1 {
			return nil, hub.Errorf(hub.EINVALID, "地区 %s（%s）不能在 %s（%s）之下 / region %s (%s) cannot be below %s (%s)",
				r.Code, r.Level, parent.Code, parent.Level, r.Code, r.Level, parent.Code, parent.Level)
		}
	}
	// Levels strictly increase along parent links, so the new tree has no
	// cycle: a region cannot end up below itself.
	for _, r := range file {
		o := old[r.Code]
		switch {
		case o == nil:
			p.Create = append(p.Create, r)
			p.Summary.Changes = append(p.Summary.Changes, hub.RegionChange{Code: r.Code, Kind: hub.RegionCreate, New: r.Name})
			continue
		case deref(o.ParentCode) != deref(r.ParentCode):
			p.Move = append(p.Move, r)
			p.Summary.Changes = append(p.Summary.Changes, hub.RegionChange{Code: r.Code, Kind: hub.RegionMove, Old: deref(o.ParentCode), New: deref(r.ParentCode)})
		}
		renamed := o.Name != r.Name || (r.NameEn != nil && deref(o.NameEn) != *r.NameEn)
		if renamed {
			if r.NameEn == nil {
				r.NameEn = o.NameEn
			}
			p.Rename = append(p.Rename, r)
			p.Summary.Changes = append(p.Summary.Changes, hub.RegionChange{Code: r.Code, Kind: hub.RegionRename, Old: o.Name, New: r.Name})
		}
		if !renamed && deref(o.ParentCode) == deref(r.ParentCode) {
			p.Summary.Unchanged++
		}
	}
	sort.SliceStable(p.Create, func(i, j int) bool { return depth(p.Create[i].Level) < depth(p.Create[j].Level) })
	p.Summary.Created, p.Summary.Renamed, p.Summary.Moved = len(p.Create), len(p.Rename), len(p.Move)
	return p, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Describe says in one line per change, Chinese first, what an import
// changed; "nothing changed" when it changed nothing.
func Describe(s *hub.RegionImport, w io.Writer) {
	if !s.Changed() {
		fmt.Fprintf(w, "地区无变化（%d 个不变）/ nothing changed (%d regions unchanged)\n", s.Unchanged, s.Unchanged)
		return
	}
	fmt.Fprintf(w, "新增 %d、改名 %d、移动 %d、不变 %d / created %d, renamed %d, moved %d, unchanged %d\n",
		s.Created, s.Renamed, s.Moved, s.Unchanged, s.Created, s.Renamed, s.Moved, s.Unchanged)
	for _, c := range s.Changes {
		switch c.Kind {
		case hub.RegionRename:
			fmt.Fprintf(w, "  改名 / renamed %s: %s → %s\n", c.Code, c.Old, c.New)
		case hub.RegionMove:
			fmt.Fprintf(w, "  移动 / moved %s: %s → %s\n", c.Code, c.Old, c.New)
		}
	}
}

// AuditText is the audit trail's detail of a rename or move.
func AuditText(c hub.RegionChange) string {
	switch c.Kind {
	case hub.RegionRename:
		return fmt.Sprintf("地区改名 %s → %s / region renamed %s → %s", c.Old, c.New, c.Old, c.New)
	case hub.RegionMove:
		return fmt.Sprintf("地区上级由 %s 改为 %s（数值保留在原代码下）/ region moved from parent %s to %s (its values stay with its code)", c.Old, c.New, c.Old, c.New)
	}
	return fmt.Sprintf("新增地区 %s / region created: %s", c.New, c.New)
}
