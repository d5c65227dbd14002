package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestNothingWrittenIsHidden: what an advisor wrote in a consultation (next steps,
// languages, interpreter) and the note of a closing show in the timeline, in the API
// and on the case page — a new lead reads what the previous one planned.
func TestNothingWrittenIsHidden(t *testing.T) {
	w := newCasework(t)
	// The form that logs a consultation asks for the preparation time as the edit form does.
	if open := string(w.lead.Must(200, "GET", "/cases/"+w.caseID, nil, "Accept", "text/html").Body); !strings.Contains(open, `id="k-prep"`) {
		t.Error("the consultation form has no field for the preparation time")
	}
	// A note edited twice: first written confidential, then opened to the team.
	note := w.lead.Must(http.StatusCreated, "POST", w.path("/notes"), map[string]any{"body": "Erste Fassung, vertraulich", "confidential": true}).Map(t)
	nid := note["id"].(string)
	w.lead.Must(200, "PATCH", "/api/v1/notes/"+nid, map[string]any{"body": "Zweite Fassung", "confidential": false}, "If-Match", `"1"`)
	w.lead.Must(200, "PATCH", "/api/v1/notes/"+nid, map[string]any{"body": "Dritte Fassung"}, "If-Match", `"2"`)
	w.lead.Must(http.StatusCreated, "POST", w.path("/consultations"), consultation(map[string]any{
		"next_steps": "Gewerbeanmeldung vorbereiten", "languages": []string{"so"}, "interpreter": true}))
	etag := w.lead.Must(200, "GET", w.path(""), nil).Header.Get("ETag")
	w.coord.Must(200, "POST", w.path("/close"), map[string]any{"reason": "referred", "note": "An die IHK verwiesen"}, "If-Match", etag)

	var tl struct {
		Items []struct {
			Kind        string   `json:"kind"`
			NextSteps   *string  `json:"next_steps"`
			Languages   []string `json:"languages"`
			Interpreter *bool    `json:"interpreter"`
			Note        *string  `json:"note"`
			To          string   `json:"to"`
		} `json:"items"`
	}
	w.lead.Must(200, "GET", w.path("/timeline"), nil).JSON(t, &tl)
	var consultation, closing bool
	for _, it := range tl.Items {
		switch {
		case it.Kind == "consultation":
			consultation = it.NextSteps != nil && *it.NextSteps == "Gewerbeanmeldung vorbereiten" &&
				strings.Join(it.Languages, ",") == "so" && it.Interpreter != nil && *it.Interpreter
		case it.Kind == "status" && it.To == "closed":
			closing = it.Note != nil && *it.Note == "An die IHK verwiesen"
		}
	}
	if !consultation || !closing {
		t.Errorf("timeline hides what was written (consultation %v, closing note %v): %+v", consultation, closing, tl.Items)
	}
	page := string(w.lead.Must(200, "GET", "/cases/"+w.caseID+"?lang=de", nil, "Accept", "text/html").Body)

	for _, want := range []string{"Gewerbeanmeldung vorbereiten", "Somali", "mit Sprachmittlung", "An die IHK verwiesen",
		"Dritte Fassung", "Frühere Fassungen (2)", "Zweite Fassung", "Erste Fassung, vertraulich"} {
		if !strings.Contains(page, want) {
			t.Errorf("the author's case page does not show %q", want)
		}
	}
	// The coordinator reads the note's history, but not the text that was confidential.
	page = string(w.coord.Must(200, "GET", "/cases/"+w.caseID+"?lang=de", nil, "Accept", "text/html").Body)
	if !strings.Contains(page, "Frühere Fassungen (1)") || !strings.Contains(page, "Zweite Fassung") || strings.Contains(page, "Erste Fassung") {
		t.Error("the coordinator sees the wrong earlier versions of the note")
	}
}

// TestFollowUpDoneCanBeUndone: after "done" the next page offers to undo it, and undoing
// opens the follow-up again.
func TestFollowUpDoneCanBeUndone(t *testing.T) {
	w := newCasework(t)
	fu := w.lead.Must(http.StatusCreated, "POST", w.path("/follow-ups"), map[string]any{"due_on": today().AddDays(2).String(), "title": "Bank anrufen"}).Map(t)
	id := fu["id"].(string)
	form := []string{"Content-Type", "application/x-www-form-urlencoded"}
	r := w.lead.Do("POST", "/follow-ups/"+id+"/done", "version=1&back=agenda", form...)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/agenda" {
		t.Fatalf("done: %d %s", r.Status, r.Header.Get("Location"))
	}
	page := string(w.lead.Must(200, "GET", "/agenda?lang=de", nil).Body)
	if !strings.Contains(page, `action="/follow-ups/`+id+`/open"`) || !strings.Contains(page, "Rückgängig machen") {
		t.Fatal("the page after done offers no undo")
	}
	if again := string(w.lead.Must(200, "GET", "/agenda?lang=de", nil).Body); strings.Contains(again, "Rückgängig machen") {
		t.Error("the undo stays offered on later pages")
	}
	r = w.lead.Do("POST", "/follow-ups/"+id+"/open", "version=2&back=agenda", form...)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/agenda" {
		t.Fatalf("undo: %d %s", r.Status, r.Header.Get("Location"))
	}
	found := false
	for _, it := range w.lead.Must(200, "GET", w.path("/follow-ups"), nil).Map(t)["items"].([]any) {
		if m := it.(map[string]any); m["id"] == id {
			found = true
			if m["done_at"] != nil {
				t.Error("the follow-up is still done after the undo")
			}
		}
	}
	if !found {
		t.Error("the follow-up is missing from its case's list")
	}
	if page := string(w.lead.Must(200, "GET", "/agenda?lang=de", nil).Body); !strings.Contains(page, "Bank anrufen") {
		t.Error("the reopened follow-up is not on the agenda")
	}
}
