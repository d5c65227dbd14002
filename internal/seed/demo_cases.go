package seed

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

type demoFounder struct {
	given, family, gender, country string
	nationalities, languages       []string
	birthYear, arrivalYear         int
	idea, sector, legalForm        string
	phase                          string
	advisor                        string // e-mail of the lead advisor
}

var demoFounders = []demoFounder{
	{"Amina", "Yusuf", "female", "SO", []string{"SO"}, []string{"so", "ar", "de"}, 1991, 2015, "Änderungsschneiderei mit Upcycling-Kollektion", "C", "sole_proprietor", domain.PhaseFounding, "berater@lotse.example"},
	{"Mehmet", "Kaya", "male", "TR", []string{"TR"}, []string{"tr", "de"}, 1979, 2004, "Übernahme einer Bäckerei mit zwei Filialen", "C", "gmbh", domain.PhaseHandover, "berater@lotse.example"},
	{"Lina", "Haddad", "female", "SY", []string{"SY"}, []string{"ar", "en", "de"}, 1994, 2016, "Catering für syrische und levantinische Küche", "I", "ug", domain.PhaseConsolidation, "berater@lotse.example"},
	{"Tran", "Van Minh", "male", "VN", []string{"VN"}, []string{"vi", "de"}, 1985, 2009, "Nagelstudio und Kosmetik", "S", "sole_proprietor", domain.PhaseConsolidation, "berater@lotse.example"},
	{"Sofía", "Ramírez", "female", "CO", []string{"CO"}, []string{"es", "en", "de"}, 1990, 2019, "Übersetzungsbüro für Spanisch und Portugiesisch", "M", "freelance", domain.PhaseFounding, "beraterin2@lotse.example"},
	{"Kwame", "Mensah", "male", "GH", []string{"GH"}, []string{"en", "tw", "de"}, 1988, 2012, "Import von Sheabutter-Kosmetik", "G", "gbr", domain.PhaseFounding, "beraterin2@lotse.example"},
	{"Olena", "Shevchenko", "female", "UA", []string{"UA"}, []string{"uk", "ru", "de"}, 1983, 2022, "IT-Dienstleistungen für kleine Betriebe", "J", "sole_proprietor", domain.PhaseFounding, "berater.nord@lotse.example"},
	{"Dmytro", "Bondarenko", "male", "UA", []string{"UA"}, []string{"uk", "de"}, 1976, 2022, "Kfz-Werkstatt mit Gebrauchtwagenhandel", "G", "gmbh", domain.PhaseConsolidation, "berater.nord@lotse.example"},
	{"Zahra", "Ahmadi", "female", "AF", []string{"AF"}, []string{"fa", "ps", "de"}, 1997, 2016, "Friseursalon für Frauen", "S", "sole_proprietor", domain.PhaseFounding, "berater.sued@lotse.example"},
	{"Giorgos", "Papadopoulos", "male", "GR", []string{"GR"}, []string{"el", "de"}, 1968, 1995, "Nachfolge für ein Restaurant", "I", "sole_proprietor", domain.PhaseHandover, "berater.sued@lotse.example"},
}

// demoCases takes in the demo founders with their cases, lead by the named advisors.
func demoCases(ctx context.Context, st *store.Store, carriers []uuid.UUID, users map[string]uuid.UUID) error {
	rng := rand.New(rand.NewPCG(2026, 11))
	for _, f := range demoFounders {
		lead := users[f.advisor]
		carrier := carriers[carrierOf(f.advisor)]
		data := domain.DefaultFounderData()
		data.GivenName, data.FamilyName, data.Gender = f.given, f.family, f.gender
		data.CountryOfBirth = &f.country
		data.Nationalities, data.Languages = f.nationalities, f.languages
		data.BirthYear, data.ArrivalYear = &f.birthYear, &f.arrivalYear
		data.GermanLevel = []string{"A2", "B1", "B2", "C1"}[rng.IntN(4)]
		data.EducationISCED = []string{"isced_0_2", "isced_3_4", "isced_5_8"}[rng.IntN(3)]
		data.EmploymentStatusAtEntry = []string{"unemployed", "employed", "inactive", "long_term_unemployed"}[rng.IntN(4)]
		src := domain.Catalogue.ReferralSources[rng.IntN(len(domain.Catalogue.ReferralSources))]
		data.ReferralSource = &src
		city := []string{"Duisburg", "Essen", "Hamburg", "Kiel", "München", "Augsburg"}[carrierOf(f.advisor)*2+rng.IntN(2)]
		data.City = &city
		sector, form := f.sector, f.legalForm
		actor := domain.Actor{UserID: lead, RequestID: "seed", System: true}
		_, err := st.CreateCase(ctx, actor, domain.Intake{CarrierID: &carrier, LeadAdvisorID: &lead, Founder: &data, Phase: f.phase,
			Business: domain.Business{Idea: f.idea, Sector: &sector, LegalForm: &form}}, nil)
		if err != nil {
			return fmt.Errorf("demo case %s %s: %w", f.given, f.family, err)
		}
	}
	return demoCasework(ctx, st, users)
}

func carrierOf(advisorEmail string) int {
	for _, a := range demoAccounts {
		if a.email == advisorEmail {
			return a.carrier
		}
	}
	return 0
}
