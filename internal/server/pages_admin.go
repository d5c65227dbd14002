package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
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
	Values   url.Values
	Problem  formProblem
	Catalog  domain.Catalog
}

func (s *Server) adminBase(c *gin.Context, v *adminView) error {
	var err error
	if v.Carriers, err = s.store.Carriers(c.Request.Context()); err != nil {
		return err
	}
	v.Names = map[string]string{}
	for _, cr := range v.Carriers {
		v.Names[cr.ID.String()] = cr.Name
	}
	v.Catalog = domain.Catalogue
	return nil
}

func (s *Server) pageCarriers(c *gin.Context) {
	setLang(c)
	s.renderCarriers(c, http.StatusOK, nil, formProblem{})
}

func (s *Server) renderCarriers(c *gin.Context, status int, values url.Values, p formProblem) {
	v := adminView{Values: values, Problem: p}
	if err := s.adminBase(c, &v); err != nil {
		s.fail(c, err)
		return
	}
	c.Set(ctxPagePath, "/admin/carriers")
	s.render(c, status, "admin_carriers", "admin.carriers", v)
}

func (s *Server) pageCreateCarrier(c *gin.Context) {
	form := postedForm(c)
	in := domain.CarrierInput{Name: strings.TrimSpace(form.Get("name")), ShortName: strings.TrimSpace(form.Get("short_name"))}
	err := s.check(&in, "")
	if err == nil {
		_, err = s.store.CreateCarrier(c.Request.Context(), actor(c), in, nil)
	}
	if err != nil {
		p, ok := s.formProblemOf(c, err)
		if !ok {
			s.fail(c, err)
			return
		}
		if domain.ErrorCode(err) == domain.ErrConflict {
			p.Fields["name"] = p.Alert
		}
		s.renderCarriers(c, p.Status, form, p)
		return
	}
	s.redirectFlash(c, "/admin/carriers", "flash.carrier_created")
}

// pageUsers lists the accounts, 100 a page, with the form that creates one.
func (s *Server) pageUsers(c *gin.Context) {
	setLang(c)
	s.renderUsers(c, http.StatusOK, url.Values{"active": {"true"}}, formProblem{})
}

func (s *Server) renderUsers(c *gin.Context, status int, values url.Values, p formProblem) {
	v := adminView{Values: values, Problem: p}
	if err := s.adminBase(c, &v); err != nil {
		s.fail(c, err)
		return
	}
	var after *uuid.UUID
	if cur := c.Query("cursor"); cur != "" {
		id, err := uuid.Parse(cur)
		if err != nil {
			s.fail(c, domain.Invalid("cursor", "error.invalid_cursor"))
			return
		}
		after = &id
	}
	const pageSize = 100
	us, err := s.store.Users(c.Request.Context(), after, pageSize+1)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(us) > pageSize {
		us = us[:pageSize]
		v.Next = us[pageSize-1].ID.String()
	}
	v.Users = us
	c.Set(ctxPagePath, "/admin/users")
	s.render(c, status, "admin_users", "admin.users", v)
}

// pageCreateUser creates an account with its first role, in one transaction: a refused
// role leaves no account behind.
func (s *Server) pageCreateUser(c *gin.Context) {
	form := postedForm(c)
	in := domain.UserInput{Email: strings.TrimSpace(form.Get("email")), Name: strings.TrimSpace(form.Get("name")),
		Password: form.Get("password"), Languages: codeList(form, "languages", false)}
	var p domain.Problems
	m := domain.Membership{Role: form.Get("role")}
	m.CarrierID = optUUID(&p, form, "carrier_id")
	p = allProblems(p, s.check(&in, ""), s.check(&m, ""))
	if m.Role != "" {
		p = allProblems(p, renameField(domain.CheckMemberships([]domain.Membership{m}), "roles[0].carrier_id", "carrier_id"))
	}
	if err := domain.CheckPasswordPolicy(in.Password); err != nil && in.Password != "" {
		p = allProblems(p, err)
	}
	keep := url.Values{}
	for k, vs := range form {
		if k != "password" {
			keep[k] = vs
		}
	}
	err := p.Err()
	var u domain.User
	if err == nil {
		u, err = s.createUser(c, in, []domain.Membership{m})
		// The form has one role: the store's roles[0].carrier_id is its carrier field.
		err = renameField(err, "roles[0].carrier_id", "carrier_id")
	}
	if err != nil {
		fp, ok := s.formProblemOf(c, err)
		if !ok {
			s.fail(c, err)
			return
		}
		s.renderUsers(c, fp.Status, keep, fp)
		return
	}
	s.redirectFlash(c, "/admin/users/"+u.ID.String(), "flash.user_created")
}

func (s *Server) pageUser(c *gin.Context) {
	setLang(c)
	s.renderUser(c, http.StatusOK, formProblem{})
}

func (s *Server) renderUser(c *gin.Context, status int, p formProblem) {
	id, err := pathID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := adminView{Problem: p}
	if err := s.adminBase(c, &v); err != nil {
		s.fail(c, err)
		return
	}
	if v.User, err = s.store.User(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	v.Values = url.Values{}
	for _, m := range v.User.Roles {
		v.Values.Add("role", roleValue(m))
	}
	c.Set(ctxPagePath, "/admin/users/"+id.String())
	s.renderTitled(c, status, "admin_user", v.User.Name, v)
}

// roleValue is a membership as a checkbox value: "advisor:<carrier id>", "admin:".
func roleValue(m domain.Membership) string {
	if m.CarrierID == nil {
		return m.Role + ":"
	}
	return m.Role + ":" + m.CarrierID.String()
}

// pageSetRoles replaces the account's memberships with the checked ones.
func (s *Server) pageSetRoles(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		s.fail(c, err)
		return
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
		if err := s.check(&m, "roles."); err != nil {
			p = allProblems(p, err)
			continue
		}
		roles = append(roles, m)
	}
	err = p.Err()
	if err == nil {
		_, err = s.setRoles(c, id, roles)
	}
	if err != nil {
		fp, ok := s.formProblemOf(c, err)
		if !ok {
			s.fail(c, err)
			return
		}
		s.renderUser(c, fp.Status, fp)
		return
	}
	s.redirectFlash(c, "/admin/users/"+id.String(), "flash.roles_saved")
}

func (s *Server) pageDeactivate(c *gin.Context) {
	id, err := pathID(c)
	if err == nil {
		_, err = s.deactivate(c, id)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.redirectFlash(c, "/admin/users/"+id.String(), "flash.user_deactivated")
}
