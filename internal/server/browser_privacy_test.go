package server_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// A coordinator answers a founder's data-protection requests from the case page: reads
// the printable Art. 15 report (German, then English), downloads it as JSON, is told to
// close the case before an erasure, closes it, and erases the founder — afterwards the
// case shows no name, contact data or text, and takes no more changes.
func TestBrowserCoordinatorAnswersAccessAndErasure(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "Träger Nord")
	app.User(t, "berater@x.de", domain.RoleAdvisor, c1)
	app.User(t, "koordination@x.de", domain.RoleCoordinator, c1)
	adv := app.SignIn(t, "berater@x.de")
	founder := testenv.Founder(canaries["given_name"], canaries["family_name"])
	founder["email"], founder["phone"], founder["languages"] = canaries["email"], canaries["phone"], []string{"so", "de"}
	caseID, _ := adv.NewCase(map[string]any{"founder": founder})
	adv.Must(http.StatusCreated, "POST", "/api/v1/cases/"+caseID+"/consultations", consultation(map[string]any{"summary": canaries["summary"]}))
	adv.Must(http.StatusCreated, "POST", "/api/v1/cases/"+caseID+"/notes", map[string]any{"body": canaries["confidential"], "confidential": true})

	b := newBrowser(t, app)
	b.signIn("koordination@x.de")
	b.open("/cases/" + caseID)
	b.wantText("#privacy h2", "Datenschutz")

	// Art. 15, printable, every section in words: no codes, no message ids.
	b.submit("#privacy a[href$='/export']")
	b.wantText("h1", "Auskunft nach Art. 15 DSGVO")
	b.wantPageText(canaries["summary"], true)
	b.wantPageText(canaries["confidential"], true) // the founder's right: confidential notes too
	b.wantPageText("Somali", true)
	b.wantPageText("Beratungsgespräche", true)
	b.wantPageText("art15.", false)
	b.shot("art15-de")
	b.checkA11y("art15 export")
	data := b.download("a[download][href^='/api/v1/founders/']")
	var exp domain.FounderExport
	if err := json.Unmarshal(data, &exp); err != nil || len(exp.Section("consultations").Rows) != 1 {
		t.Fatalf("downloaded export: %v, %s", err, data)
	}
	founderID := exp.FounderID
	b.open("/founders/" + founderID.String() + "/export?lang=en")
	b.wantText("h1", "Access report (Art. 15 GDPR)")
	b.wantPageText("Consultations", true)
	b.shot("art15-en")
	b.open("/cases/" + caseID + "?lang=de")

	// An erasure while the case is open is refused with a way out; the input stays.
	b.click("#privacy summary")
	b.fill("#erase-reason", "Schreiben vom 3. November")
	evalJS[bool](b, `(window.confirm = () => true, true)`) // the person answers "OK"
	if st := b.submit("#privacy button[type=submit]"); st != http.StatusConflict {
		t.Fatalf("erasure of a founder with an open case: status %d, want 409", st)
	}
	b.wantPageText("Erst alle Fälle der Person abschließen", true)
	if v := evalJS[string](b, `document.querySelector("#erase-reason").value`); v != "Schreiben vom 3. November" {
		t.Errorf("the reason was lost: %q", v)
	}

	// Close the case by keyboard-reachable controls, then erase.
	b.click("#status summary")
	b.set("#close-reason", "abandoned")
	evalJS[bool](b, `(window.confirm = () => true, true)`)
	b.submit("form[action$='/close'] button[type=submit]")
	b.click("#privacy summary")
	b.fill("#erase-reason", "Schreiben vom 3. November")
	evalJS[bool](b, `(window.confirm = () => true, true)`)
	if st := b.submit("#privacy button[type=submit]"); st != http.StatusOK {
		t.Fatalf("erasure: status %d", st)
	}
	b.wantText("p.notice", "Namen, Kontaktdaten und Freitexte wurden entfernt")
	b.wantText("h1", "(pseudonymisiert)")
	for _, k := range []string{"given_name", "family_name", "email", "phone", "summary", "confidential"} {
		b.wantPageText(canaries[k], false)
	}
	if n := evalJS[int](b, `document.querySelectorAll("main form[action*='/reopen'], #erase-reason").length`); n != 0 {
		t.Errorf("a pseudonymised case still offers %d changes", n)
	}
	b.shot("case-pseudonymised")
	b.open("/cases")
	b.wantPageText("(pseudonymisiert)", true)
}
