package pages

import (
	"html/template"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// Languages and countries are stored and sent as codes (ISO 639-1, ISO 3166-1
// alpha-2) and shown by their names in the page's language, from CLDR
// (golang.org/x/text/language/display): every page names them through these helpers
// (template functions language, languages, country, countries), and every select
// offers them sorted by name as the page's language sorts (collate), with the codes as
// the options' values.

// uiTag is the tag of a page language ("de", "en").
func uiTag(ui string) language.Tag {
	if ui == "en" {
		return language.English
	}
	return language.German
}

// languageName is the name of a language code in ui; "" when unknown.
func languageName(code string, ui language.Tag) string {
	t, err := language.Parse(code)
	if err != nil {
		return ""
	}
	return display.Languages(ui).Name(t)
}

// countryName is the name of a country code in ui; "" when unknown.
func countryName(code string, ui language.Tag) string {
	r, err := language.ParseRegion(code)
	if err != nil {
		return ""
	}
	return display.Regions(ui).Name(r)
}

// nameOr is name, or the code itself when there is no name.
func nameOr(name, code string) string {
	if name == "" {
		return code
	}
	return name
}

// languageNames shows a list of language codes by name ("ar, de" → "Arabisch, Deutsch").
func languageNames(codes []string, ui string) string {
	names := make([]string, len(codes))
	for i, c := range codes {
		names[i] = nameOr(languageName(c, uiTag(ui)), c)
	}
	return strings.Join(names, ", ")
}

// countryNames shows a list of country codes by name.
func countryNames(codes []string, ui string) string {
	names := make([]string, len(codes))
	for i, c := range codes {
		names[i] = nameOr(countryName(c, uiTag(ui)), c)
	}
	return strings.Join(names, ", ")
}

// languageOption is one option of a language or country select.
type languageOption struct{ Code, Name string }

// languageOptions are the options of a language select: the likely ones first, then all.
type languageOptions struct{ First, All []languageOption }

// allLanguages are every known language with its name, sorted by name the way the
// language ui sorts (umlauts where a reader expects them); built once per language.
var allLanguages = map[language.Tag]func() []languageOption{
	language.German:  sync.OnceValue(func() []languageOption { return sortedOptions(domain.LanguageCodes(), languageName, language.German) }),
	language.English: sync.OnceValue(func() []languageOption { return sortedOptions(domain.LanguageCodes(), languageName, language.English) }),
}

// allCountries are every country the validation accepts, by name; built once per language.
var allCountries = map[language.Tag]func() []languageOption{
	language.German:  sync.OnceValue(func() []languageOption { return sortedOptions(countryCodes(), countryName, language.German) }),
	language.English: sync.OnceValue(func() []languageOption { return sortedOptions(countryCodes(), countryName, language.English) }),
}

// countryCodes are the ISO 3166-1 alpha-2 codes the validation accepts (its tag
// "country"), found once by asking it about every pair of letters.
func countryCodes() []string {
	v := validator.New()
	var out []string
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			code := string([]rune{a, b})
			if v.Var(code, "iso3166_1_alpha2") == nil {
				out = append(out, code)
			}
		}
	}
	return out
}

func sortedOptions(codes []string, name func(string, language.Tag) string, ui language.Tag) []languageOption {
	out := make([]languageOption, 0, len(codes))
	for _, code := range codes {
		out = append(out, languageOption{code, nameOr(name(code, ui), code)})
	}
	coll := collate.New(ui)
	slices.SortStableFunc(out, func(a, b languageOption) int { return coll.CompareString(a.Name, b.Name) })
	return out
}

// languageChoices are the options of the language selects of a page in ui.
func languageChoices(ui string) []languageOption { return allLanguages[uiTag(ui)]() }

// countryChoices are the options of the country selects of a page in ui.
func countryChoices(ui string) []languageOption { return allCountries[uiTag(ui)]() }

// codeSlots are the values of a list of codes chosen with several selects (template
// partial "code-selects"): the codes sent (each value may also be a list, "ar, de", as
// the API writes it), then empty selects up to at least least and one more than chosen,
// at most most.
func codeSlots(form url.Values, key string, least, most int) []string {
	var out []string
	for _, raw := range form[key] {
		for _, c := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	n := min(max(least, len(out)+1), most)
	for len(out) < n {
		out = append(out, "")
	}
	return out
}

// UsualLanguages are the options of an edit form's language selects in ui: the
// founder's languages, German, English and those chosen, by name. The timeline has an
// edit form per consultation; each offering every language would make the case page
// hundreds of kilobytes. The form of a new consultation offers every language.
func (v caseView) UsualLanguages(ui string, chosen []string) []languageOption {
	codes := slices.Concat(v.Case.Founder.Languages, []string{"de", "en"}, strings.FieldsFunc(strings.Join(chosen, ","), func(r rune) bool { return r == ',' || r == ' ' }))
	var out []languageOption
	for _, o := range languageChoices(ui) { // sorted by name already
		if slices.Contains(codes, o.Code) {
			out = append(out, o)
		}
	}
	return out
}

// optionsCache holds the <option> list of every language or country in a page
// language, escaped once: rendered through the template, the two hundred options of
// each select cost thousands of allocations per page.
var optionsCache sync.Map // "language|de" → HTML

// choiceOptions are the options of a language or country select (kind "language" or
// "country") in ui, with selected marked.
func choiceOptions(kind, ui, selected string) template.HTML {
	key := kind + "|" + ui
	v, ok := optionsCache.Load(key)
	if !ok {
		opts := languageChoices(ui)
		if kind == "country" {
			opts = countryChoices(ui)
		}
		var b strings.Builder
		for _, o := range opts {
			b.WriteString(`<option value="` + template.HTMLEscapeString(o.Code) + `">` + template.HTMLEscapeString(o.Name) + `</option>`)
		}
		v, _ = optionsCache.LoadOrStore(key, b.String())
	}
	html := v.(string)
	if selected != "" {
		at := `<option value="` + template.HTMLEscapeString(selected) + `"`
		html = strings.Replace(html, at+">", at+" selected>", 1)
	}
	return template.HTML(html) //nolint:gosec // codes and CLDR names, each escaped above
}
