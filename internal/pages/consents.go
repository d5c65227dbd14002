package pages

import (
	"net/url"
	"slices"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// RecordConsent is POST /cases/{id}/consents: the consents section of the case page
// records a consent or its withdrawal for the case's founder.
func (s *Pages) RecordConsent(c *gin.Context) error {
	msg := "flash.consent_granted"
	if c.PostForm("granted") == "false" {
		msg = "flash.consent_withdrawn"
	}
	return s.caseForm(c, "consent", "consents", msg, func(id uuid.UUID, f url.Values) error {
		ctx, actor := c.Request.Context(), httpx.Actor(c)
		founder, err := s.Store.CaseFounder(ctx, actor, id)
		if err != nil {
			return err
		}
		in, p := consentForm(f)
		if err := s.inputProblems(p, &in); err != nil {
			return err
		}
		idem, err := formOnce(c, f)
		if err != nil {
			return err
		}
		_, err = s.Store.RecordConsent(ctx, actor, founder, in, idem)
		return err
	})
}

// consentForm reads the consent form: granted is a radio button ("true" or "false";
// none chosen is left out, which the validation reports).
func consentForm(f url.Values) (domain.ConsentInput, domain.Problems) {
	var p domain.Problems
	in := domain.ConsentInput{Purpose: f.Get("purpose"), TextVersion: f.Get("text_version"), Language: f.Get("language")}
	switch f.Get("granted") {
	case "true":
		in.Granted = new(true)
	case "false":
		in.Granted = new(false)
	case "":
	default:
		p.Add("granted", "validation.format")
	}
	return in, p
}

// ConsentVals are the values of the consent form: as submitted when it failed, else
// German as the language of the text (the purpose and the answer are chosen each time).
func (v caseView) ConsentVals() url.Values {
	if v.Form == "consent" && v.Values != nil {
		return v.Values
	}
	return url.Values{"language": {"de"}}
}

// ConsentLanguages are the options of the language select in the page's language ui:
// first German, English and the founder's languages (the usual languages of a consent
// text), then every language Lotse knows, by name.
func (v caseView) ConsentLanguages(ui string) languageOptions {
	var o languageOptions
	for _, code := range slices.Concat([]string{"de", "en"}, v.Case.Founder.Languages) {
		if domain.ValidLanguage(code) && !slices.ContainsFunc(o.First, func(l languageOption) bool { return l.Code == code }) {
			o.First = append(o.First, languageOption{code, nameOr(languageName(code, uiTag(ui)), code)})
		}
	}
	o.All = allLanguages[uiTag(ui)]()
	return o
}
