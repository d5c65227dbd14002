package server

import (
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
	"github.com/iq-migrantenoekonomie/lotse/web"
)

// messages reads every locale file into language → message ID → text.
func messages(t *testing.T) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	files, _ := fs.Glob(web.Locales, "locales/*.json")
	for _, f := range files {
		parts := strings.Split(filepath.Base(f), ".")
		lang := parts[len(parts)-2]
		b, err := fs.ReadFile(web.Locales, f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if out[lang] == nil {
			out[lang] = map[string]string{}
		}
		for k, v := range m {
			if _, dup := out[lang][k]; dup {
				t.Errorf("%s: %s is defined twice", f, k)
			}
			out[lang][k] = v
		}
	}
	return out
}

func TestLocalesHaveTheSameKeysInGermanAndEnglish(t *testing.T) {
	m := messages(t)
	if len(m) != 2 || m["de"] == nil || m["en"] == nil {
		t.Fatalf("want exactly de and en, have %v", slices.Collect(maps.Keys(m)))
	}
	for k := range m["de"] {
		if _, ok := m["en"][k]; !ok {
			t.Errorf("%s is German only", k)
		}
	}
	for k := range m["en"] {
		if _, ok := m["de"][k]; !ok {
			t.Errorf("%s is English only", k)
		}
	}
}

var (
	templateKey = regexp.MustCompile(`\bt "([a-z0-9_.]+)"`)
	labelCall   = regexp.MustCompile(`\blabel "([a-z_]+)"`)
	goKey       = regexp.MustCompile(`"((?:error|validation|status|flash|page|nav|field|label)\.[a-z0-9_.]+)"`)
)

// Every key a template or the Go code names must exist in every language; catalogue
// labels must exist for every code of the catalogue.
func TestEveryUsedKeyIsTranslated(t *testing.T) {
	m := messages(t)
	used := map[string]string{}
	_ = fs.WalkDir(web.Templates, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(web.Templates, p)
		for _, k := range templateKey.FindAllStringSubmatch(string(b), -1) {
			used[k[1]] = p
		}
		for _, k := range labelCall.FindAllStringSubmatch(string(b), -1) {
			for _, code := range catalogueList(k[1]) {
				used[k[1]+"."+code] = p + " (label)"
			}
		}
		return nil
	})
	goFiles, _ := filepath.Glob("../*/*.go")
	for _, f := range goFiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, _ := os.ReadFile(f)
		for _, k := range goKey.FindAllStringSubmatch(string(b), -1) {
			if !strings.HasSuffix(k[1], ".") {
				used[k[1]] = f
			}
		}
	}
	for code := range httpx.StatusOf {
		used["status."+string(code)] = "errors.go"
	}
	for _, tag := range []string{"required", "max", "min", "gte", "lte", "email", "in", "oneof", "lang", "country", "type", "format"} {
		used["validation."+tag] = "bind.go"
	}
	for k, where := range used {
		for lang, msgs := range m {
			if _, ok := msgs[k]; !ok {
				t.Errorf("%s (used in %s) is missing in %s", k, where, lang)
			}
		}
	}
}

// catalogueList returns the codes whose labels a template shows with label "kind".
func catalogueList(kind string) []string {
	c := domain.Catalogue
	switch kind {
	case "phase":
		return c.Phases
	case "status":
		return c.Statuses
	case "closing_reason":
		return c.ClosingReasons
	case "topic":
		return c.Topics
	case "mode":
		return c.Modes
	case "referral_source":
		return c.ReferralSources
	case "gender":
		return c.Genders
	case "german_level":
		return c.GermanLevels
	case "education":
		return c.EducationLevels
	case "employment":
		return c.Employment
	case "yes_no":
		return c.YesNo
	case "legal_form":
		return c.LegalForms
	case "role":
		return c.Roles
	case "milestone":
		var all []string
		for _, p := range c.Phases {
			all = append(all, c.MilestoneTypes[p]...)
		}
		return all
	}
	return nil
}
