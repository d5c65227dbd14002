// Package stats computes the statistics of programme managers and coordinators: the
// phase statistics (Phases) and the ESF+ common output indicators (ESF), per carrier
// and period, with a total row, and with small counts suppressed. They are built only
// from phase transitions, status changes, consultations and the founders' statistical
// attributes: no answer holds a name, contact data, text, founder id or case id.
//
// # Periods
//
// Dates are Berlin calendar days: a timestamp counts on its day in Europe/Berlin (a
// transition at 00:30 on 1 April in Berlin is in April, though it is 31 March in UTC).
// Periods are months, quarters and years, each [first day, last day]; a query's From
// and To are widened to whole periods. A query spans at most ten years.
//
// # Phase statistics
//
// One row per carrier, period and phase (founding, consolidation, handover):
//
//   - A case's history is its phase transitions and status changes, ordered by (at,
//     id), a transition before a status change of the same instant. The case opens with
//     its first transition (the row with from_phase NULL that the store writes with the
//     case), in that transition's phase, on that transition's day. A case without any
//     transition (only a manual insert makes one) is in no phase figure but its
//     consultations, and still in the ESF table (which counts by cases.opened_on).
//   - A case's state on a day is its state after the day's last event: the phase of
//     its last transition so far, closed when its last status change so far went to
//     "closed". Paused cases are not closed.
//   - cases_active: cases opened on or before the period's last day and, at the end of
//     that day, in this phase and not closed. A case that changed phase within the
//     period counts only in the phase it held at the end; a case closed and reopened
//     counts by its state at the end.
//   - cases_opened: cases whose opening lies in the period, in their first phase.
//   - entered: transitions into this phase in the period, the openings included (a
//     case opened in founding entered founding), so cases_opened ≤ entered.
//   - closed: the closings (status changes to "closed") in the period, by reason, in
//     the phase the case held at the closing's instant; a reason outside the catalogue
//     counts as "other"; "total" is their sum. A case closed twice in a period counts
//     twice: these are closings, not cases.
//   - consultations, consultation_hours: the consultations with a date in the period
//     and this phase (the phase recorded on the consultation), and their duration in
//     hours, rounded to two decimals after adding up the minutes.
//   - first_contacts: cases whose first consultation (by date, then created_at, then
//     id) has a date in the period and this phase.
//   - founders: distinct founders of the carrier's cases with at least one consultation
//     in the period and this phase (a founder with two cases of the carrier counts
//     once).
//
// # ESF+ indicators
//
// One row per carrier, period and indicator (Indicators), with the columns female,
// male, diverse, unspecified (also any other gender value) and total. Participants are
// the founders with a case of the carrier whose cases.opened_on lies in the period: a
// founder counts once per carrier and period, with the attributes stored on the
// founder now. unemployed: employment status at entry unemployed or
// long_term_unemployed; employed: employed or self_employed; inactive and
// long_term_unemployed as recorded. Age is the period's year (the year of opening)
// minus the birth year; without a birth year a founder is in no age band (under_18:
// < 18, age_18_29: 18–29, age_55_plus: ≥ 55). isced_*: education_isced. disability,
// foreign_background, homeless: recorded "yes". third_country_nationals: at least one
// nationality recorded and none of them an EU member state (EUMemberStates); a
// founder without a recorded nationality is not counted.
//
// # Totals
//
// The total row of each period (and phase or indicator) is the sum of the carrier rows
// of the answer, and in the ESF table the total column is the sum of the gender
// columns: the tables add up. A founder with cases in two carriers counts in each
// carrier and twice in the total.
//
// # Maintenance
//
// The figures are kept up to date by statement-level triggers (migration 00003) on
// phase_transitions, status_changes, consultations and cases (carrier or founder
// changed, case deleted): in the same transaction as a change, the contributions of the
// cases it touched are recomputed from their history and the difference is added to
// per-carrier, per-phase, per-month tables (stats_phase_month, and stats_founders for
// the distinct founders of each month, quarter and year). The next answer counts the
// change. Concurrent changes of one founder's cases take turns (an advisory lock per
// founder), as distinct counts need; Lotse's READ COMMITTED isolation is assumed.
// Updates that change no counted column (a pseudonymised name or text, a version)
// change nothing: pseudonymisation never changes the statistics. Deleting cases (a
// founder's final erasure after the retention period; cases and their history go ON
// DELETE CASCADE) removes their contribution, also from past periods: the statistics
// always equal what the remaining data give. Rebuild recomputes everything (after a
// bulk load under Defer, or for repair); TRUNCATE of a base table needs a Rebuild.
//
// # Suppression: the attacker and the rule
//
// A cell counting people (every phase figure but consultations and consultation_hours;
// every ESF cell) with a value from 1 to MinimumCell−1 is suppressed (primary); 0 is
// shown. The minimum is 5 by default and never below 3. When a row's founders cell is
// suppressed, its consultations and consultation_hours are too: the activity of so few
// founders is theirs.
//
// The attacker is assumed to know, of one answer: every published cell; the sums the
// table states (carrier rows → total row, reasons → closed.total, genders → total);
// the inequalities the definitions imply (phases: cases_opened ≤ entered,
// first_contacts ≤ consultations, founders ≤ consultations, consultations ≤ minutes ≤
// 600·consultations, minutes = 60·hours; ESF: long_term_unemployed ≤ unemployed,
// unemployed + inactive + employed ≤ participants, the three age bands and the three
// ISCED bands each ≤ participants, disability, third_country_nationals,
// foreign_background, homeless ≤ participants, per carrier and gender column); that
// cells are whole numbers ≥ 0 and that a suppressed cell is ≥ 1 (zeros are shown, and
// suppression never hides a 0); and this algorithm. The protection rule: for every
// suppressed cell, the smallest interval the attacker can derive for it — its minimum
// and maximum over all values consistent with the above — is at least MinimumCell wide
// (counts), MinimumCell consultations wide (consultations), MinimumCell hours wide
// (consultation hours). In particular no suppressed cell can be recomputed.
//
// The sub-tables are independent and are protected separately: each period and phase
// of the phase table, each period of the ESF table (its inequalities tie a period's
// indicators together). Secondary suppression first applies a heuristic to a fixed
// point (a sum with one suppressed cell gets a second, the smallest non-zero one; a sum
// whose suppressed cells lie on one side and leave each too little room gets another),
// then audits every suppressed cell with linear programs (min and max of the cell) and
// suppresses more next to every cell found too narrow, until none is. An audit solves
// the LP on a neighbourhood of the cell and holds the other suppressed cells at their
// true values, which can only narrow the attacker's interval: a neighbourhood found
// wide enough proves the rule for the whole sub-table; otherwise larger neighbourhoods
// follow, and a cell whose neighbourhood grows too large counts as too narrow (more is
// suppressed: safe, if wasteful; once every non-zero cell connected to it is
// suppressed, the relations being homogeneous, it is unbounded above). The LPs are
// solved by the package's dense simplex (lp.go); the tests check it, and audit whole
// answers, with gonum's lp.Simplex. With one carrier in the answer the total row
// equals the carrier row and is suppressed identically.
//
// Not covered: an attacker who combines several answers. Two answers whose carrier
// sets differ by one carrier, or a quarter next to its three months, can be subtracted
// from each other (flows such as cases_opened add up over months). Callers should fix
// the carrier set per role (a coordinator's own carrier, a programme manager's all
// carriers) and keep the period grid stable.
package stats
