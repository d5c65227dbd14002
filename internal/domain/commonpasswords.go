package domain

import "strings"

// commonPasswords are frequent passwords (and keyboard walks) of 12 or more characters,
// from public breach statistics; a password containing one of the short stems whole is
// refused as well.
var commonPasswords = strings.Fields(`
123456789012 1234567890123 12345678901234 123456789abc 1q2w3e4r5t6y 1qaz2wsx3edc
qwertyuiopas qwertzuiopü qwertyuiop123 qwertzuiop123 asdfghjklöä1 passwort1234 password1234
password123! passwort123! iloveyou1234 abcdefghijkl abc123456789 aaaaaaaaaaaa 111111111111
000000000000 letmein12345 welcome12345 willkommen12 willkommen123 sommer2024!! sommer2025!!
sommer2026!! winter2024!! winter2025!! winter2026!! hallo1234567 hallohallo12 schalke04schalke
borussia1909 bayernmuenchen fussball1234 dragon123456 monkey123456 sunshine1234 princess1234
football1234 baseball1234 superman1234 trustno1trustno1 changeme1234 administrator
adminadmin123 lotse1234567 lotselotse12 geheim123456 geheimgeheim ichliebedich1
`)

var commonStems = []string{"password", "passwort", "qwertz", "qwerty", "123456", "lotse", "iloveyou", "letmein", "admin"}

func commonPassword(p string) bool {
	l := strings.ToLower(p)
	for _, c := range commonPasswords {
		if l == c {
			return true
		}
	}
	// A long password made mostly of one common stem plus digits is still common.
	for _, stem := range commonStems {
		if strings.Contains(l, stem) && len(strings.Trim(strings.ReplaceAll(l, stem, ""), "0123456789!?._-")) < 4 {
			return true
		}
	}
	return false
}
