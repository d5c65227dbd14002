package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testdb"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// A coordinator reviews the caseload, follows a stalled case, hands it to another
// advisor, and its overdue follow-up lands on the new lead's agenda; on the way the
// team agenda's "done" returns to the team agenda. German throughout, one English look,
// the stalled case reached by keyboard, accessibility checked on every page.
func TestBrowserCaseloadReassignStalledCase(t *testing.T) {
	db := testdb.New(t)
	today := domain.DayOf(time.Now())
	db.Store.Now = func() time.Time { return noon(today) } // before the server starts
	app := testenv.StartApp(t, db)
	ctx, st := context.Background(), app.DB.Store
	c1 := app.Carrier(t, "Gründungswerkstatt")
	aylin := app.User(t, "aylin@x.de", domain.RoleAdvisor, c1)
	app.User(t, "jonas@x.de", domain.RoleAdvisor, c1)
	app.User(t, "miriam@x.de", domain.RoleCoordinator, c1)

	// Lina Haddad's case was opened 70 days ago and nobody has talked to her since; its
	// follow-up was due five days ago. Amina Yusuf's case is fresh, with a follow-up ahead.
	then := *st
	then.Now = func() time.Time { return noon(today.AddDays(-70)) }
	fd := domain.DefaultFounderData()
	fd.GivenName, fd.FamilyName = "Lina", "Haddad"
	stalled, err := then.CreateCase(ctx, domain.Actor{UserID: aylin, System: true}, domain.Intake{CarrierID: &c1, LeadAdvisorID: &aylin, Founder: &fd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fu, err := st.CreateFollowUp(ctx, domain.Actor{UserID: aylin}, stalled.ID, domain.FollowUpInput{DueOn: today, Title: "Rückruf wegen Businessplan"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// set when its day lay ahead: moved back in the table
	if _, err := st.DB.ExecContext(ctx, `UPDATE follow_ups SET due_on = $2 WHERE id = $1`, fu.ID, today.AddDays(-5)); err != nil {
		t.Fatal(err)
	}
	api := app.SignIn(t, "aylin@x.de")
	fresh, _ := api.NewCase(map[string]any{"founder": testenv.Founder("Amina", "Yusuf")})
	api.Must(http.StatusCreated, "POST", "/api/v1/cases/"+fresh+"/consultations", map[string]any{
		"date": today.String(), "duration_minutes": 90, "mode": "in_person", "topics": []string{"business_plan"},
		"summary": "Erstgespräch", "next_steps": "Gewerbeanmeldung prüfen", "follow_up_on": today.AddDays(3).String()})

	b := newBrowser(t, app)
	b.signIn("miriam@x.de")
	b.submit("nav a[href='/caseload']")
	b.wantText("h1", "Fallbelastung")
	b.wantText("#caseload caption", "Gründungswerkstatt")
	b.wantText("#caseload", "aylin")
	b.wantText("#caseload", "jonas")
	b.wantText("#caseload", "1,5") // aylin's 90 minutes, in hours
	b.wantText("#stalled", "Lina Haddad")
	b.wantText("#stalled", "noch kein Gespräch")
	b.wantPageText("Amina Yusuf", false)
	b.checkA11y("caseload")
	b.shot("caseload")

	// The full list of stalled cases is the case list's filter.
	b.submit("a[href='/cases?stalled=true']")
	b.wantText("h1", "Meine Fälle")
	b.wantText("main p.meta", "Alle Fälle des Trägers Gründungswerkstatt")
	b.wantText("table.list", "Lina Haddad")
	b.wantPageText("Amina Yusuf", false)
	if !evalJS[bool](b, `document.querySelector("#stalled").checked && !document.querySelector("#overdue").checked`) {
		t.Errorf("the stalled filter is not shown as checked")
	}
	b.checkA11y("stalled cases")
	b.shot("stalled-cases")

	// The team agenda: both of aylin's follow-ups, the overdue one first; "done" comes back here.
	b.submit("nav a[href='/agenda/team']")
	b.wantText("h1", "Team-Wiedervorlagen")
	b.wantText("section.team-agenda h2", "aylin")
	b.wantText("section.team-agenda li.overdue", "Rückruf wegen Businessplan")
	b.checkA11y("team agenda")
	b.shot("team-agenda")
	b.submit("section.team-agenda li:not(.overdue) button[type=submit]")
	b.wantText("h1", "Team-Wiedervorlagen")
	b.wantText("p.notice", "erledigt")
	b.wantPageText("Gewerbeanmeldung prüfen", false)

	// By keyboard from the caseload to the stalled case.
	b.open("/caseload")
	b.tabTo("#stalled a[href='/cases/" + stalled.ID.String() + "']")
	b.pressAndWait(kb.Enter)
	b.wantText("h1", "Lina Haddad")
	b.checkA11y("stalled case")
	jonas := evalJS[string](b, `[...document.querySelectorAll("#advisors tbody tr")].find(r => r.textContent.includes("jonas")).querySelector("input[type=radio]").id`)
	b.click("#" + jonas)
	b.submit("#advisors button[type=submit]")
	b.wantText("p.notice", "Zuständigkeit")
	b.wantText(".glance", "jonas")
	b.wantText("#follow-ups", "Rückruf wegen Businessplan")
	b.shot("reassigned")
	b.open("/agenda/team")
	b.wantText("section.team-agenda h2", "jonas")
	b.wantPageText("aylin", false) // aylin has nothing open any more
	b.signOut()

	// The new lead finds the overdue follow-up on their agenda, one click from the case.
	b.signIn("jonas@x.de")
	b.submit("nav a[href='/agenda']")
	b.wantText("h1", "Wiedervorlagen")
	b.wantText("#overdue-h", "(1)")
	b.wantText("ul.agenda li.overdue", "Rückruf wegen Businessplan")
	b.wantText("ul.agenda li.overdue", "Lina Haddad")
	b.checkA11y("new lead's agenda")
	b.shot("new-lead-agenda")

	// An advisor's caseload is their own row, in English on request.
	b.open("/caseload")
	b.wantText("#caseload", "jonas")
	b.wantPageText("aylin", false)
	b.submit("header a[hreflang=en]")
	b.wantText("h1", "Caseload")
	b.wantText("#stalled", "Lina Haddad")
	b.wantText("#stalled caption", "Stalled cases")
	b.checkA11y("caseload (English)")
	b.shot("caseload-en")
	b.submit("header a[hreflang=de]")
	b.wantText("h1", "Fallbelastung")
}
