package pages

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

// Administration pages: carriers, accounts and their role memberships. They show no
// counselling content: an administrator sees names, e-mail addresses and roles only.

// adminView is the data of the administration pages.
type adminView struct {
	Carriers []domain.Carrier
	Names    map[string]string // carrier id → name
	Users    []domain.User
	User     domain.User // the account being edited
	Next     string      // cursor of the next page of users
	// Query is the list's search and order; Sorts the orders offered.
	Query   domain.UserQuery
	Sorts   []string
	Form    string     // the form on the account's page that failed: "edit", "password", "roles"
	Posted  url.Values // what that form sent (never a password)
	Values  url.Values
	Problem formProblem
	Catalog domain.Catalog
	// Led counts the open cases the account being edited still leads, per carrier, and
	// LedTotal all of them: numbers only, for the deactivation note.
	Led      []domain.CarrierCount
	LedTotal int
}

func (s *Pages) adminBase(c *gin.Context, v *adminView) error {
	var err error
	if v.Carriers, err = s.Store.Carriers(c.Request.Context()); err != nil {
		return err
	}
	v.Names = map[string]string{}
	for _, cr := range v.Carriers {
		v.Names[cr.ID.String()] = cr.Name
	}
	v.Catalog = domain.Catalogue
	return nil
}

// Carriers is GET /admin/carriers.
func (s *Pages) Carriers(c *gin.Context) error {
	httpx.SetLang(c)
	return s.renderCarriers(c, http.StatusOK, nil, formProblem{})
}

func (s *Pages) renderCarriers(c *gin.Context, status int, values url.Values, p formProblem) error {
	v := adminView{Values: values, Problem: p}
	if err := s.adminBase(c, &v); err != nil {
		return err
	}
	c.Set(ctxPagePath, "/admin/carriers")
	return s.render(c, status, "admin_carriers", "admin.carriers", v)
}

// CreateCarrier is POST /admin/carriers.
func (s *Pages) CreateCarrier(c *gin.Context) error {
	form := postedForm(c)
	in := domain.CarrierInput{Name: form.Get("name"), ShortName: form.Get("short_name")}
	idem, err := formOnce(c, form)
	if err == nil {
		_, err = s.Store.CreateCarrier(c.Request.Context(), httpx.Actor(c), in, idem)
	}
	if err != nil {
		p, ok := s.formProblemOf(c, err)
		if !ok {
			return err
		}
		if domain.ErrorCode(err) == domain.ErrConflict {
			p.Fields["name"] = p.Alert
		}
		return s.renderCarriers(c, p.Status, form, p)
	}
	return s.redirectFlash(c, "/admin/carriers", "flash.carrier_created")
}

// Users is GET /admin/users: the accounts, 100 a page, searchable (?q=) and sorted
// (?sort=), with the form that creates one.
func (s *Pages) Users(c *gin.Context) error {
	httpx.SetLang(c)
	return s.renderUsers(c, http.StatusOK, url.Values{"active": {"true"}}, formProblem{})
}

func (s *Pages) renderUsers(c *gin.Context, status int, values url.Values, p formProblem) error {
	v := adminView{Values: values, Problem: p, Sorts: domain.UserSorts}
	if err := s.adminBase(c, &v); err != nil {
		return err
	}
	v.Query = domain.UserQuery{Q: c.Query("q"), Sort: c.Query("sort"), Cursor: c.Query("cursor"), Limit: usersPage}
	var err error
	if v.Users, v.Next, err = s.Store.Users(c.Request.Context(), httpx.Actor(c), v.Query); err != nil {
		return err
	}
	c.Set(ctxPagePath, "/admin/users")
	return s.render(c, status, "admin_users", "admin.users", v)
}

// usersPage is how many accounts the list shows at once.
const usersPage = 100

// NextUsers is the link to the list's next page, with its search and order.
func (v adminView) NextUsers() string {
	q := url.Values{"cursor": {v.Next}}
	if v.Query.Q != "" {
		q.Set("q", v.Query.Q)
	}
	if v.Query.Sort != "" && v.Query.Sort != domain.UserSortName {
		q.Set("sort", v.Query.Sort)
	}
	return "/admin/users?" + q.Encode()
}

// SortLink is the link that orders the list by sort, keeping the search.
func (v adminView) SortLink(sort string) string {
	q := url.Values{"sort": {sort}}
	if v.Query.Q != "" {
		q.Set("q", v.Query.Q)
	}
	return "/admin/users?" + q.Encode()
}

// CreateUser is POST /admin/users: an account with its first role, in one transaction —
// a refused role leaves no account behind.
func (s *Pages) CreateUser(c *gin.Context) error {
	form := postedForm(c)
	in := domain.UserInput{Email: form.Get("email"), Name: form.Get("name"),
		Password: form.Get("password"), Languages: codeList(form, "languages", false)}
	var p domain.Problems
	m := domain.Membership{Role: form.Get("role")}
	m.CarrierID = optUUID(&p, form, "carrier_id")
	keep := url.Values{}
	for k, vs := range form {
		if k != "password" {
			keep[k] = vs
		}
	}
	err := p.Err()
	var idem *store.Idempotency
	if err == nil {
		idem, err = formOnce(c, form)
	}
	var u domain.User
	if err == nil {
		u, err = s.Store.CreateUser(c.Request.Context(), httpx.Actor(c), in, []domain.Membership{m}, idem)
	}
	if err != nil {
		// The form has one role: the store's roles[0].x is its field x.
		err = httpx.MapFields(err, func(f string) string { return strings.TrimPrefix(f, "roles[0].") })
		fp, ok := s.formProblemOf(c, err)
		if !ok {
			return err
		}
		return s.renderUsers(c, fp.Status, keep, fp)
	}
	return s.redirectFlash(c, "/admin/users/"+u.ID.String(), "flash.user_created")
}

// User is GET /admin/users/{id}: an account with its roles and, when the person still
// leads open cases, how many per carrier (so whoever deactivates them knows the
// carrier's coordinators have cases to reassign).
func (s *Pages) User(c *gin.Context) error {
	httpx.SetLang(c)
	return s.renderUser(c, http.StatusOK, "", nil, formProblem{})
}

func (s *Pages) renderUser(c *gin.Context, status int, form string, values url.Values, p formProblem) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	v := adminView{Problem: p, Form: form}
	if err := s.adminBase(c, &v); err != nil {
		return err
	}
	if v.User, err = s.Store.User(c.Request.Context(), id); err != nil {
		return err
	}
	if v.Led, err = s.Store.LedCases(c.Request.Context(), httpx.Actor(c), id); err != nil {
		return err
	}
	for _, n := range v.Led {
		v.LedTotal += n.Count
	}
	v.Values = url.Values{}
	for _, m := range v.User.Roles {
		v.Values.Add("role", roleValue(m))
	}
	v.Posted = values
	c.Set(ctxPagePath, "/admin/users/"+id.String())
	return s.renderTitled(c, status, "admin_user", v.User.Name, v)
}

// EditVals are the values of the account's edit form: as submitted when it failed,
// else the account as it is now (with its current version).
func (v adminView) EditVals() url.Values {
	if v.Form == "edit" && v.Posted != nil {
		return v.Posted
	}
	return url.Values{"name": {v.User.Name}, "email": {v.User.Email},
		"languages": {strings.Join(v.User.Languages, ", ")}, "version": {strconv.Itoa(v.User.Version)}}
}

// Vals are the submitted values of form, if it is the form that failed (never a
// password: the password form is shown empty).
func (v adminView) Vals(form string) url.Values {
	if form == v.Form && form != "password" {
		return v.Posted
	}
	return nil
}

// Errs are the field errors of form, if it is the form that failed.
func (v adminView) Errs(form string) map[string]string {
	if form == v.Form {
		return v.Problem.Fields
	}
	return nil
}

// UpdateUser is POST /admin/users/{id}: name, e-mail and languages, based on the
// version the form was shown with. A stale version or a taken address shows the page
// again with the input kept (and, when stale, the version of now, so that a second
// try saves it).
func (s *Pages) UpdateUser(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	form := postedForm(c)
	in := domain.UserEdit{Name: form.Get("name"), Email: form.Get("email"), Languages: codeList(form, "languages", false)}
	version, err := formVersion(form)
	if err == nil {
		_, err = s.Store.UpdateUser(c.Request.Context(), httpx.Actor(c), id, version, formEdit(in, nil))
	}
	if err != nil {
		fp, ok := s.formProblemOf(c, err)
		if !ok {
			return err
		}
		if domain.ErrorCode(err) == domain.ErrPreconditionFailed {
			fp.Alert = s.T(c, "admin2.stale", nil)
			if u, uerr := s.Store.User(c.Request.Context(), id); uerr == nil {
				form.Set("version", strconv.Itoa(u.Version))
			}
		}
		return s.renderUser(c, fp.Status, "edit", form, fp)
	}
	return s.redirectFlash(c, "/admin/users/"+id.String(), "flash.user_updated")
}

// ResetPassword is POST /admin/users/{id}/password: a one-time password the person must
// change at their next sign-in; their sessions and API tokens end. The password is
// never shown again, not even after an error.
func (s *Pages) ResetPassword(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	in := domain.PasswordReset{Password: postedForm(c).Get("password")}
	if _, err := s.Store.ResetPassword(c.Request.Context(), httpx.Actor(c), id, in); err != nil {
		fp, ok := s.formProblemOf(c, err)
		if !ok {
			return err
		}
		return s.renderUser(c, fp.Status, "password", nil, fp)
	}
	return s.redirectFlash(c, "/admin/users/"+id.String(), "flash.password_reset")
}

// roleValue is a membership as a checkbox value: "advisor:<carrier id>", "admin:".
func roleValue(m domain.Membership) string {
	if m.CarrierID == nil {
		return m.Role + ":"
	}
	return m.Role + ":" + m.CarrierID.String()
}

// SetRoles is POST /admin/users/{id}/roles: the checked memberships replace the others.
func (s *Pages) SetRoles(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	form := postedForm(c)
	roles := []domain.Membership{}
	var p domain.Problems
	for _, v := range form["role"] {
		role, carrier, _ := strings.Cut(v, ":")
		m := domain.Membership{Role: role}
		if carrier != "" {
			cid, err := uuid.Parse(carrier)
			if err != nil {
				p.Add("roles", "validation.format")
				continue
			}
			m.CarrierID = &cid
		}
		roles = append(roles, m)
	}
	err = p.Err()
	if err == nil {
		_, err = s.Store.SetRoles(c.Request.Context(), httpx.Actor(c), id, roles)
	}
	if err != nil {
		err = httpx.MapFields(err, func(string) string { return "roles" })
		fp, ok := s.formProblemOf(c, err)
		if !ok {
			return err
		}
		return s.renderUser(c, fp.Status, "roles", nil, fp)
	}
	return s.redirectFlash(c, "/admin/users/"+id.String(), "flash.roles_saved")
}

// Deactivate is POST /admin/users/{id}/deactivate.
func (s *Pages) Deactivate(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	if _, err := s.Store.Deactivate(c.Request.Context(), httpx.Actor(c), id); err != nil {
		return err
	}
	return s.redirectFlash(c, "/admin/users/"+id.String(), "flash.user_deactivated")
}

// Reactivate is POST /admin/users/{id}/reactivate.
func (s *Pages) Reactivate(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	if _, err := s.Store.Reactivate(c.Request.Context(), httpx.Actor(c), id); err != nil {
		return err
	}
	return s.redirectFlash(c, "/admin/users/"+id.String(), "flash.user_reactivated")
}
