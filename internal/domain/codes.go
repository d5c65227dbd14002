package domain

import "strings"

// iso6391 lists the ISO 639-1 language codes.
const iso6391 = "aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy " +
	"da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz " +
	"ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt " +
	"lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt " +
	"qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to " +
	"tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"

// euMembers are the EU member states (ISO 3166-1 alpha-2); any other nationality makes
// a third-country national in the ESF+ indicators.
const euMembers = "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK"

var (
	languageSet = setOf(iso6391)
	euSet       = setOf(euMembers)
)

// ValidLanguage reports whether code is an ISO 639-1 language code.
func ValidLanguage(code string) bool { return languageSet[code] }

// ThirdCountryNational reports whether none of the nationalities is of an EU member state
// (and at least one is known).
func ThirdCountryNational(nationalities []string) bool {
	if len(nationalities) == 0 {
		return false
	}
	for _, n := range nationalities {
		if euSet[n] {
			return false
		}
	}
	return true
}

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}
