package pgtest

import (
	"context"
	"testing"
)

// TinyCity is a small hand-computable data set for analytics tests, loaded
// into a base (not demo) database by LoadTinyCity. City 500100 has four
// counties: A 500101 (towns 500101001, 500101002), B 500102 (town
// 500102001), C 500103, D 500104. Values are for 2022 and APPROVED unless
// noted; the expected answers are worked out in the tests that use it.
//
//	minors_total      A 10000, B 20000, C 5000, D —
//	child_directors   A 30, B 60 (AT_LEAST), C 20, D 99 SUBMITTED
//	hope_rooms        A 5, B 20, C 1                       (youth_league)
//	guard_rate %      A 80, B 90, C 100                    (education, AVERAGE)
//	care_visits       monthly, towns: 500101001 2022-01 10, 2022-02 20;
//	                  500101002 2022-01 5 (APPROX); 500102001 2022-03 7 DRAFT
//	stations          quarterly, LAST: A 2022Q1 3, 2022Q3 5; B 2022Q2 4
//	meeting_units     NONE: A 12
//	child_directors_per_10k = child_directors / minors_total * 10000
//	child_directors   2021: A 25, B 50, C 10
const TinyCity = `
INSERT INTO departments (code, name) VALUES
  ('civil_affairs', '民政局'), ('education', '教育局'), ('youth_league', '团市委');
INSERT INTO regions (code, parent_code, level, name) VALUES
  ('500100', NULL, 'CITY', '测试市'),
  ('500101', '500100', 'COUNTY', '甲区'), ('500102', '500100', 'COUNTY', '乙区'),
  ('500103', '500100', 'COUNTY', '丙区'), ('500104', '500100', 'COUNTY', '丁区'),
  ('500101001', '500101', 'TOWN', '甲一镇'), ('500101002', '500101', 'TOWN', '甲二镇'),
  ('500102001', '500102', 'TOWN', '乙一镇');
INSERT INTO indicators (key, name, protection, unit, department_code, value_type, aggregation, period_type, collection_level, formula) VALUES
  ('minors_total', '未成年人数', 'BASE', 'persons', 'civil_affairs', 'COUNT', 'SUM', 'YEAR', 'COUNTY', NULL),
  ('child_directors', '儿童主任数', 'GOVERNMENT', 'persons', 'civil_affairs', 'COUNT', 'SUM', 'YEAR', 'COUNTY', NULL),
  ('hope_rooms', '希望小屋数', 'SOCIETY', 'rooms', 'youth_league', 'COUNT', 'SUM', 'YEAR', 'COUNTY', NULL),
  ('guard_rate', '护学岗建设率', 'SCHOOL', 'percent', 'education', 'PERCENT', 'AVERAGE', 'YEAR', 'COUNTY', NULL),
  ('care_visits', '关爱走访人次', 'GOVERNMENT', 'person_times', 'civil_affairs', 'COUNT', 'SUM', 'MONTH', 'TOWN', NULL),
  ('stations', '未保工作站数', 'GOVERNMENT', 'stations', 'civil_affairs', 'COUNT', 'LAST', 'QUARTER', 'COUNTY', NULL),
  ('meeting_units', '联席会议成员单位数', 'GOVERNMENT', 'units', 'civil_affairs', 'COUNT', 'NONE', 'YEAR', 'COUNTY', NULL),
  ('child_directors_per_10k', '每万名未成年人儿童主任数', 'GOVERNMENT', 'per_10k_minors', 'civil_affairs', 'RATE', 'NONE', 'YEAR', 'COUNTY',
   'child_directors / minors_total * 10000');
INSERT INTO data_values (indicator_key, department_code, region_code, region_path, period, value, qualifier, status, is_released)
SELECT v.ind, i.department_code, r.code, r.path, v.per, v.val, v.q, v.st, v.st IN ('APPROVED', 'PUBLISHED')
FROM (VALUES
  ('minors_total', '500101', '2022', 10000, 'EXACT', 'APPROVED'),
  ('minors_total', '500102', '2022', 20000, 'EXACT', 'APPROVED'),
  ('minors_total', '500103', '2022', 5000, 'EXACT', 'APPROVED'),
  ('child_directors', '500101', '2022', 30, 'EXACT', 'APPROVED'),
  ('child_directors', '500102', '2022', 60, 'AT_LEAST', 'APPROVED'),
  ('child_directors', '500103', '2022', 20, 'EXACT', 'APPROVED'),
  ('child_directors', '500104', '2022', 99, 'EXACT', 'SUBMITTED'),
  ('child_directors', '500101', '2021', 25, 'EXACT', 'APPROVED'),
  ('child_directors', '500102', '2021', 50, 'EXACT', 'APPROVED'),
  ('child_directors', '500103', '2021', 10, 'EXACT', 'APPROVED'),
  ('hope_rooms', '500101', '2022', 5, 'EXACT', 'APPROVED'),
  ('hope_rooms', '500102', '2022', 20, 'EXACT', 'APPROVED'),
  ('hope_rooms', '500103', '2022', 1, 'EXACT', 'APPROVED'),
  ('guard_rate', '500101', '2022', 80, 'EXACT', 'APPROVED'),
  ('guard_rate', '500102', '2022', 90, 'EXACT', 'APPROVED'),
  ('guard_rate', '500103', '2022', 100, 'EXACT', 'APPROVED'),
  ('care_visits', '500101001', '2022-01', 10, 'EXACT', 'APPROVED'),
  ('care_visits', '500101001', '2022-02', 20, 'EXACT', 'APPROVED'),
  ('care_visits', '500101002', '2022-01', 5, 'APPROX', 'APPROVED'),
  ('care_visits', '500102001', '2022-03', 7, 'EXACT', 'DRAFT'),
  ('stations', '500101', '2022Q1', 3, 'EXACT', 'APPROVED'),
  ('stations', '500101', '2022Q3', 5, 'EXACT', 'APPROVED'),
  ('stations', '500102', '2022Q2', 4, 'EXACT', 'APPROVED'),
  ('meeting_units', '500101', '2022', 12, 'EXACT', 'APPROVED')
) AS v(ind, reg, per, val, q, st)
JOIN indicators i ON i.key = v.ind
JOIN regions r ON r.code = v.reg;
`

// LoadTinyCity loads TinyCity into db as the owner.
func LoadTinyCity(t testing.TB, db *DB) {
	t.Helper()
	if _, err := db.OwnerConn(t).Exec(context.Background(), TinyCity); err != nil {
		t.Fatalf("load tiny city: %v", err)
	}
}
