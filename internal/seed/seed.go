// Package seed fills a database with demo data (for people to try Lotse) and with
// synthetic data at scale (for benchmarks). Every name in it is invented.
package seed

import (
	"context"
	"fmt"
	"io"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

// AddUser creates a user with one role, as `lotse user add` does. The password must meet
// the policy. ErrConflict when the e-mail is taken.
func AddUser(ctx context.Context, st *store.Store, in domain.UserInput, m domain.Membership) (uuid.UUID, error) {
	u, err := st.CreateUser(ctx, domain.Actor{RequestID: "cli", System: true}, in, []domain.Membership{m}, nil)
	return u.ID, err
}

// DemoPassword is the password of every demo account.
const DemoPassword = "Beratung-Demo-2026" //nolint:gosec // the published demo password, not a secret

// Demo creates demo carriers, accounts and cases, unless the database has carriers
// already, and prints the sign-in data either way.
func Demo(ctx context.Context, st *store.Store, out io.Writer) error {
	existing, err := st.Carriers(ctx)
	if err != nil {
		return err
	}
	if len(existing) == 0 {
		if err := demo(ctx, st); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "Demo accounts (password %s):\n", DemoPassword)
	for _, a := range demoAccounts {
		fmt.Fprintf(out, "  %-34s %s\n", a.email, a.what)
	}
	return nil
}

type demoAccount struct {
	email, name, role string
	carrier           int // index into demoCarriers; -1 for global roles
	languages         []string
	what              string
}

var demoCarriers = []domain.CarrierInput{
	{Name: "Gründungswerkstatt Rhein-Ruhr e. V.", ShortName: "GWRR"},
	{Name: "Migrantenökonomie Nord gGmbH", ShortName: "MÖN"},
	{Name: "Unternehmerinnen-Netzwerk Süd e. V.", ShortName: "UNS"},
}

var demoAccounts = []demoAccount{
	{"berater@lotse.example", "Aylin Demir", domain.RoleAdvisor, 0, []string{"de", "tr", "en"}, "advisor, Gründungswerkstatt Rhein-Ruhr"},
	{"beraterin2@lotse.example", "Jonas Weber", domain.RoleAdvisor, 0, []string{"de", "en", "ar"}, "advisor, Gründungswerkstatt Rhein-Ruhr"},
	{"koordination@lotse.example", "Miriam Hoffmann", domain.RoleCoordinator, 0, []string{"de", "en"}, "coordinator, Gründungswerkstatt Rhein-Ruhr"},
	{"berater.nord@lotse.example", "Oksana Kovalenko", domain.RoleAdvisor, 1, []string{"de", "uk", "ru"}, "advisor, Migrantenökonomie Nord"},
	{"koordination.nord@lotse.example", "Thomas Brandt", domain.RoleCoordinator, 1, []string{"de"}, "coordinator, Migrantenökonomie Nord"},
	{"berater.sued@lotse.example", "Farid Haidari", domain.RoleAdvisor, 2, []string{"de", "fa", "ps"}, "advisor, Unternehmerinnen-Netzwerk Süd"},
	{"programm@lotse.example", "Dr. Sabine Keller", domain.RoleProgrammeManager, -1, []string{"de", "en"}, "programme manager"},
	{"admin@lotse.example", "Lotse Administration", domain.RoleAdmin, -1, []string{"de"}, "administrator (sets up a second factor at the first sign-in)"},
}

func demo(ctx context.Context, st *store.Store) error {
	system := domain.Actor{RequestID: "seed", System: true}
	carriers := make([]uuid.UUID, len(demoCarriers))
	for i, c := range demoCarriers {
		cr, err := st.CreateCarrier(ctx, system, c, nil)
		if err != nil {
			return err
		}
		carriers[i] = cr.ID
	}
	users := map[string]uuid.UUID{}
	for _, a := range demoAccounts {
		m := domain.Membership{Role: a.role}
		if a.carrier >= 0 {
			m.CarrierID = &carriers[a.carrier]
		}
		id, err := AddUser(ctx, st, domain.UserInput{Email: a.email, Name: a.name, Password: DemoPassword, Languages: a.languages}, m)
		if err != nil {
			return fmt.Errorf("demo account %s: %w", a.email, err)
		}
		users[a.email] = id
	}
	return demoCases(ctx, st, carriers, users)
}
