package dashboard

import (
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sixprot/hub/internal/analytics"
	"github.com/sixprot/hub/internal/hub"
)

// View is what a page shows; it lives in the URL query so that a link
// reproduces the view.
type View struct {
	Lang       string // "zh" or "en"
	Period     string
	Protection hub.Protection
	Indicator  string
	// Regions are the districts the radar and trend show; empty = the
	// first few of the comparison.
	Regions   []string
	PerCapita bool
	// ProtectionSet says the URL chose the protection; without it the
	// protection is the indicator's own, so the indicator list it narrows
	// holds the indicator shown.
	ProtectionSet bool
	// Parent is the region whose children are compared ("" = the viewer's scope).
	Parent string
}

func langOf(r *http.Request) string {
	if r.URL.Query().Get("lang") == "en" {
		return "en"
	}
	return "zh"
}

// DefaultPeriod is the period shown without a choice when no period of the
// page's indicator has released figures: the last one with approved
// figures in the demo. With released figures, the latest of them is shown.
const DefaultPeriod = "2022"

func parseView(r *http.Request) (View, error) {
	q := r.URL.Query()
	v := View{Lang: langOf(r), Period: q.Get("period"), Indicator: q.Get("indicator"),
		Protection: hub.Protection(strings.ToUpper(q.Get("protection"))), PerCapita: q.Get("percap") == "1",
		Parent: r.PathValue("code"), ProtectionSet: q.Get("protection") != ""}
	// An empty period is chosen by build: the latest with released figures.
	if v.Period != "" {
		if _, err := hub.ParsePeriod(v.Period); err != nil {
			return v, err
		}
	}
	if v.Protection == "" {
		v.Protection = hub.Government
	}
	if v.Protection.NameZh() == "" {
		return v, hub.Errorf(hub.EINVALID, "未知的保护类别 %q / unknown protection %q", v.Protection, v.Protection)
	}
	for _, s := range q["regions"] {
		for _, c := range strings.Split(s, ",") {
			if c = strings.TrimSpace(c); c != "" {
				v.Regions = append(v.Regions, c)
			}
		}
	}
	if len(v.Regions) > 8 {
		v.Regions = v.Regions[:8]
	}
	return v, nil
}

// Query returns the URL query of v, with changes applied.
func (v View) Query(changes ...string) string {
	q := url.Values{}
	q.Set("period", v.Period)
	q.Set("protection", string(v.Protection))
	q.Set("indicator", v.Indicator)
	if v.PerCapita {
		q.Set("percap", "1")
	}
	if len(v.Regions) > 0 {
		q.Set("regions", strings.Join(v.Regions, ","))
	}
	if v.Lang == "en" {
		q.Set("lang", "en")
	}
	if v.Parent != "" {
		q.Set("parent", v.Parent)
	}
	for i := 0; i+1 < len(changes); i += 2 {
		if changes[i+1] == "" {
			q.Del(changes[i])
		} else {
			q.Set(changes[i], changes[i+1])
		}
	}
	return q.Encode()
}

// Href returns the link to path with v's query, changes applied, as one
// trusted URL: html/template then leaves its "=" and "&" alone, which it
// percent-encodes in a query string written after a literal "?".
func (v View) Href(path string, changes ...string) template.URL {
	return template.URL(path + "?" + v.Query(changes...))
}

// labels are the page's words in one language.
type labels map[string]string

var words = map[string][2]string{
	"title":      {"未成年人保护工作驾驶舱", "Minor protection dashboard"},
	"login":      {"登录", "Log in"},
	"errtitle":   {"请求未能完成", "The request could not be completed"},
	"errcode":    {"错误代码", "Error code"},
	"errhome":    {"返回我的驾驶舱", "Back to my dashboard"},
	"errmedia":   {"返回新闻发布数据", "Back to the media figures"},
	"logout":     {"退出", "Log out"},
	"logoutall":  {"退出所有会话", "Sign out everywhere"},
	"expired":    {"会话已过期，请重新登录", "Your session expired, please sign in again"},
	"sso":        {"统一身份认证登录", "Sign in with single sign-on"},
	"or":         {"或", "or"},
	"tokens":     {"API 令牌", "API tokens"},
	"tokenintro": {"用令牌调用 GraphQL 接口（Authorization: Bearer 令牌）。令牌只在创建时显示一次。", "Use a token to call the GraphQL API (Authorization: Bearer <token>). A token is shown once, when it is made."},
	"newtoken":   {"新建令牌", "New token"},
	"tokenname":  {"名称", "Name"},
	"lifetime":   {"有效期", "Expires in"},
	"days":       {"天", "days"},
	"create":     {"创建", "Create"},
	"secret":     {"新令牌（请立即复制，之后不再显示）", "Your new token (copy it now, it is not shown again)"},
	"created":    {"创建时间", "Created"},
	"lastused":   {"最近使用", "Last used"},
	"expires":    {"到期", "Expires"},
	"revoked":    {"已吊销", "Revoked"},
	"revoke":     {"吊销", "Revoke"},
	"never":      {"从未", "never"},
	"notokens":   {"还没有令牌", "No tokens yet"},
	"username":   {"用户名", "User name"},
	"password":   {"密码", "Password"},
	"period":     {"期间", "Period"},
	"protection": {"保护类别", "Protection"},
	"indicator":  {"指标", "Indicator"},
	"regions":    {"对比地区", "Regions"},
	"percap":     {"按每万名未成年人", "Per 10,000 minors"},
	"raw":        {"原始数值", "Raw values"},
	"apply":      {"应用", "Apply"},
	"unreleased": {"（无已审核数据）", " (no approved figures)"},
	"find":       {"查找地区", "Find a region"},
	"heatpercap": {"计数按每万名未成年人", "counts per 10,000 minors"},
	"quartiles":  {"按同级地区四分位评分", "scored against the peers' quartiles"},
	"minors":     {"未成年人", "Minors"},
	"directors":  {"儿童主任", "Child directors"},
	"hope":       {"希望小屋", "Hope rooms"},
	"approved":   {"本期已审核数值", "Values approved this period"},
	"compare":    {"地区对比", "Comparison of regions"},
	"ranking":    {"排名", "Ranking"},
	"rank":       {"名次", "Rank"},
	"region":     {"地区", "Region"},
	"value":      {"数值", "Value"},
	"per10k":     {"每万名未成年人", "Per 10,000 minors"},
	"status":     {"状态", "Status"},
	"radar":      {"六大保护画像", "Six protections profile"},
	"trend":      {"趋势", "Trend"},
	"heatmap":    {"指标热力图（红黄绿）", "Heatmap (red-amber-green)"},
	"map":        {"地区分布图", "District map"},
	"screen":     {"大屏", "Wall screen"},
	"exitscreen": {"退出大屏", "Leave the wall screen"},
	"fullscreen": {"全屏", "Full screen"},
	"refreshed":  {"刷新于", "Refreshed"},
	"yoy":        {"同比", "YoY"},
	"mom":        {"环比", "vs previous"},
	"source":     {"来源：", "Source: "},
	"rag":        {"评价", "Rating"},
	"unjudged":   {"不足三个地区，不评价", "fewer than three regions: not rated"},
	"noboundary": {"暂无边界数据，未在地图上显示，见柱状图和排名", " have no boundaries: not on the map, see the bar chart and ranking"},
	"mapnone":    {"本级地区暂无边界数据，请看柱状图和排名", "No boundaries for these areas: see the bar chart and ranking"},
	"noanalytic": {"分析服务尚未接入", "Analytics service not wired yet"},
	"suppressed": {"—：未报告、未审核或按小数保护隐藏", "—: not reported, not approved, or suppressed to protect small counts"},
	"regionsof":  {"下辖地区", "Areas of"},
	"back":       {"返回", "Back to "},
	"english":    {"English", "English"},
	"chinese":    {"中文", "中文"},
	"synthetic":  {"含模拟演示数据，非真实统计", "includes synthetic demo data, not real figures"},
	"simulated":  {"模拟", "synthetic"},
	"simincl":    {"含模拟数据", "includes synthetic data"},
	"simcol":     {"模拟数据", "Synthetic"},
	"qualifier":  {"限定", "Qualifier"},
	"code":       {"地区代码", "Region code"},
	"key":        {"指标代码", "Indicator key"},
	"unit":       {"单位", "Unit"},
	"replaced":   {"改为显示", "showing instead"},
	"noind":      {"没有此指标", "no such indicator"},
	// colon joins a label and its value: full-width in Chinese, ": " in
	// English (an English page showed "Value：1,080").
	"zone":      {"北京时间 (UTC+08:00 Asia/Shanghai)", "Beijing time (UTC+08:00 Asia/Shanghai)"},
	"colon":     {"：", ": "},
	"semicolon": {"；", "; "},
}

func labelsFor(lang string) labels {
	i := 0
	if lang == "en" {
		i = 1
	}
	l := labels{}
	for k, v := range words {
		l[k] = v[i]
	}
	return l
}

var protectionEn = map[hub.Protection]string{hub.Family: "Family", hub.School: "School", hub.Society: "Society",
	hub.Online: "Online", hub.Government: "Government", hub.Judicial: "Judicial", hub.Base: "Base figures"}

func protectionName(p hub.Protection, lang string) string {
	if lang == "en" {
		return protectionEn[p]
	}
	return p.NameZh()
}

func regionName(r *hub.Region, lang string) string {
	if lang == "en" && r.NameEn != nil {
		return *r.NameEn
	}
	return r.Name
}

func indicatorName(i *hub.Indicator, lang string) string {
	if lang == "en" && i.NameEn != nil {
		return *i.NameEn
	}
	return i.Name
}

// formatNumber writes n the way readers expect: 万 for Chinese from
// 10,000 up, thousands separators in English.
func formatNumber(n float64, lang string) string {
	if lang != "en" && math.Abs(n) >= 10000 {
		// four significant digits: 1.004万, 16.94万, 169.4万
		w := n / 10000
		decimals := max(0, 3-int(math.Floor(math.Log10(math.Abs(w)))))
		return strconv.FormatFloat(w, 'f', decimals, 64) + "万"
	}
	if n != math.Trunc(n) {
		return strconv.FormatFloat(math.Round(n*100)/100, 'f', -1, 64)
	}
	s := strconv.FormatFloat(math.Abs(n), 'f', 0, 64)
	if lang == "en" {
		for i := len(s) - 3; i > 0; i -= 3 {
			s = s[:i] + "," + s[i:]
		}
	}
	if n < 0 {
		s = "-" + s
	}
	return s
}

// formatRate writes a figure per 10,000 minors: always two decimals
// (60.34, 50.40, 35.00), so that a column of rates lines up; formatNumber
// dropped trailing zeros (50.4, 35 under 60.34).
func formatRate(v *float64, q *hub.Qualifier, lang string) string {
	if v == nil {
		return "—"
	}
	s := strconv.FormatFloat(math.Round(*v*100)/100, 'f', 2, 64)
	if lang == "en" && math.Abs(*v) >= 1000 {
		s = formatNumber(math.Trunc(*v), lang) + s[strings.IndexByte(s, '.'):]
	}
	return qualifierMark(q) + s
}

func qualifierMark(q *hub.Qualifier) string {
	if q == nil {
		return ""
	}
	switch *q {
	case hub.AtLeast:
		return "≥"
	case hub.Approx:
		return "≈"
	}
	return ""
}

// formatValue writes a value with its qualifier, or "—".
func formatValue(v *float64, q *hub.Qualifier, lang string) string {
	if v == nil {
		return "—"
	}
	return qualifierMark(q) + formatNumber(*v, lang)
}

// rankRows ranks rows on raw values or values per 10,000 minors with the
// API's ranking rule (analytics.Rank: 1 = highest, ties share, missing
// last) and orders them by rank.
func rankRows(rows []*Row, perCapita bool) {
	keys := make([]*float64, len(rows))
	for i, r := range rows {
		keys[i] = r.Value
		if perCapita {
			keys[i] = r.PerTenK
		}
	}
	ranks, order := analytics.Rank(keys)
	ranked := make([]*Row, len(rows))
	for pos, i := range order {
		rows[i].Rank = 0
		if ranks[i] != nil {
			rows[i].Rank = *ranks[i]
		}
		ranked[pos] = rows[i]
	}
	copy(rows, ranked)
}

func fmtPeriodRange(period string, years int) (string, string) {
	y, err := strconv.Atoi(period[:4])
	if err != nil {
		return period, period
	}
	return fmt.Sprint(y - years + 1), period[:4]
}
