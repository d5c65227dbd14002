package httpx

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/iq-migrantenoekonomie/lotse/web"
)

// Languages Lotse speaks; the first is the default.
var languages = []language.Tag{language.German, language.English}

var langMatcher = language.NewMatcher(languages)

// LoadBundle reads every web/locales/*.json message file.
func LoadBundle() (*i18n.Bundle, error) {
	b := i18n.NewBundle(language.German)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	files, err := fs.Glob(web.Locales, "locales/*.json")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := fs.ReadFile(web.Locales, f)
		if err != nil {
			return nil, err
		}
		if _, err := b.ParseMessageFileBytes(data, f); err != nil {
			return nil, fmt.Errorf("locale %s: %w", f, err)
		}
	}
	return b, nil
}

// LangCookie remembers the language a person chose.
const LangCookie = "lotse_lang"

// Lang is the request's language: ?lang=, else the remembered choice, else the browser's
// Accept-Language, else German.
func Lang(c *gin.Context) string {
	if l := c.Query("lang"); l == "de" || l == "en" {
		return l
	}
	if l, err := c.Cookie(LangCookie); err == nil && (l == "de" || l == "en") {
		return l
	}
	tags, _, _ := language.ParseAcceptLanguage(c.GetHeader("Accept-Language"))
	if len(tags) == 0 {
		return "de"
	}
	_, i, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return "de"
	}
	base, _ := languages[i].Base()
	return base.String()
}

// SetLang remembers a language chosen with ?lang= for a year.
func SetLang(c *gin.Context) {
	if l := c.Query("lang"); l == "de" || l == "en" {
		c.SetSameSite(http.SameSiteLaxMode)
		c.SetCookie(LangCookie, l, 365*24*3600, "/", "", false, true)
	}
}

// T translates a message ID into the request's language; an unknown ID shows as itself,
// which the locale tests catch.
func (env *Env) T(c *gin.Context, id string, data map[string]any) string {
	msg, err := env.localizer(c).Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		return id
	}
	return msg
}

const ctxLocalizer = "lotse.localizer"

// localizer is the request's localizer, made once per request: a page translates
// hundreds of strings.
func (env *Env) localizer(c *gin.Context) *i18n.Localizer {
	if v, ok := c.Get(ctxLocalizer); ok {
		return v.(*i18n.Localizer)
	}
	loc := i18n.NewLocalizer(env.I18n, Lang(c), "de")
	c.Set(ctxLocalizer, loc)
	return loc
}
