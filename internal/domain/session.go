package domain

import (
	"strings"
	"time"

	"github.com/google/uuid"
)

// Session is one of a person's signed-in browser sessions as their own list shows it:
// when it began and was last used (to the minute), and a coarse description of the
// browser — never the User-Agent header itself, never an address. Current marks the
// session the request came with.
type Session struct {
	ID         uuid.UUID `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	Browser    string    `json:"browser"`
	Platform   string    `json:"platform"`
	Current    bool      `json:"current"`
}

// UnknownAgent is the browser or platform of a User-Agent that names none Lotse knows.
const UnknownAgent = "other"

// The browsers and systems a session may be described as, tested in this order: a
// User-Agent names several (Edge says Chrome and Safari too, Chrome says Safari).
var (
	agentBrowsers = []struct{ marker, name string }{
		{"Edg/", "Edge"}, {"EdgiOS/", "Edge"}, {"EdgA/", "Edge"},
		{"OPR/", "Opera"}, {"Opera", "Opera"},
		{"SamsungBrowser/", "Samsung Internet"},
		{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
		{"Chrome/", "Chrome"}, {"CriOS/", "Chrome"}, {"Chromium/", "Chrome"},
		{"Safari/", "Safari"},
	}
	agentPlatforms = []struct{ marker, name string }{
		{"iPhone", "iOS"}, {"iPad", "iOS"}, {"iPod", "iOS"},
		{"Android", "Android"},
		{"CrOS", "ChromeOS"},
		{"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"Macintosh", "macOS"},
		{"Linux", "Linux"},
	}
)

// DescribeUserAgent reduces a User-Agent header to a browser and a platform name from
// fixed lists (UnknownAgent for anything else), so that nothing the client chose —
// versions, devices, extensions — is kept or shown.
func DescribeUserAgent(ua string) (browser, platform string) {
	browser, platform = UnknownAgent, UnknownAgent
	for _, b := range agentBrowsers {
		if strings.Contains(ua, b.marker) {
			browser = b.name
			break
		}
	}
	for _, p := range agentPlatforms {
		if strings.Contains(ua, p.marker) {
			platform = p.name
			break
		}
	}
	return browser, platform
}
