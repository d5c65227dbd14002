package stats

import (
	"math"
	"runtime"
	"slices"
	"sync"
)

// A grid is one independent sub-table under suppression: its cells, the sums that
// hold between them (published with the table or implied by the definitions) and the
// inequalities the definitions imply. It is the attacker's model (see the package
// documentation): published cells are known, suppressed cells are unknowns ≥ 1.
type grid struct {
	cells   []gcell
	eqs     []relation // Σ coef·x = 0
	les     []relation // Σ coef·x ≤ 0
	links   [][2]int   // when cell [0] is suppressed, so is cell [1]
	minimum float64
	// rels lists, per cell, the relations it is in: i < len(eqs) is eqs[i], else
	// les[i-len(eqs)].
	rels [][]int
}

type gcell struct {
	value  float64 // the true value (minutes for consultation time)
	unit   float64 // a suppressed cell's interval must be minimum·unit wide
	people bool    // counts people: suppressed when 1 ≤ value < minimum
	supp   bool
	safe   bool // audited: wide enough, and stays so when more cells are suppressed
}

type term struct {
	cell int
	coef float64
}

type relation []term

// sum returns the relation total = Σ parts.
func sum(total int, parts ...int) relation {
	r := make(relation, 0, len(parts)+1)
	for _, p := range parts {
		r = append(r, term{p, 1})
	}
	return append(r, term{total, -1})
}

func newGrid(n int, minimum int) *grid {
	g := &grid{cells: make([]gcell, n), minimum: float64(minimum)}
	for i := range g.cells {
		g.cells[i].unit = 1
	}
	return g
}

func (g *grid) rel(i int) relation {
	if i < len(g.eqs) {
		return g.eqs[i]
	}
	return g.les[i-len(g.eqs)]
}

func (g *grid) width(c int) float64 { return g.minimum * g.cells[c].unit }

// protectAll protects independent grids in parallel.
func protectAll(grids []*grid) {
	var wg sync.WaitGroup
	next := make(chan *grid)
	for range min(runtime.GOMAXPROCS(0), len(grids)) {
		wg.Go(func() {
			for g := range next {
				g.protect()
			}
		})
	}
	for _, g := range grids {
		next <- g
	}
	close(next)
	wg.Wait()
}

// protect suppresses the grid's cells: primary suppression of small counts of people,
// the links, then secondary suppression until the linear-programming audit finds
// every suppressed cell's interval at least minimum (times its unit) wide.
func (g *grid) protect() {
	g.rels = make([][]int, len(g.cells))
	for i := range len(g.eqs) + len(g.les) {
		for _, t := range g.rel(i) {
			g.rels[t.cell] = append(g.rels[t.cell], i)
		}
	}
	for i := range g.cells {
		c := &g.cells[i]
		if c.people && c.value >= 1 && c.value < g.minimum {
			c.supp = true
		}
	}
	for {
		g.complete()
		var failed []int
		for i := range g.cells {
			if g.cells[i].supp && !g.cells[i].safe {
				if g.audit(i) {
					g.cells[i].safe = true
				} else {
					failed = append(failed, i)
				}
			}
		}
		if len(failed) == 0 {
			return
		}
		// Widen for the first failing cell, then for each further one only if the
		// cells suppressed so far in this round have not made it wide already.
		widened := false
		for _, c := range failed {
			if widened {
				g.complete()
				if g.audit(c) {
					g.cells[c].safe = true
					continue
				}
			}
			if g.widen(c) {
				widened = true
			}
		}
		if !widened {
			// Nothing is left to suppress around the failing cells: every non-zero cell
			// connected to them is suppressed and every published one around them is 0.
			// The relations are homogeneous, so the true values scaled up by any λ ≥ 1
			// satisfy them too: the cells are unbounded above, wide enough.
			return
		}
	}
}

// complete applies the links and the sum heuristic until nothing changes: a sum with
// exactly one suppressed cell gets a second one; a sum whose suppressed cells all lie
// on one side and add up to a published amount that leaves them too little room gets
// another one.
func (g *grid) complete() {
	for changed := true; changed; {
		changed = false
		for _, l := range g.links {
			if g.cells[l[0]].supp && !g.cells[l[1]].supp && g.cells[l[1]].value != 0 {
				g.cells[l[1]].supp = true
				changed = true
			}
		}
		for _, r := range g.eqs {
			n, side, known, need := 0, 0.0, 0.0, 0.0
			oneSide := true
			for _, t := range r {
				c := g.cells[t.cell]
				if !c.supp {
					known += t.coef * c.value
					continue
				}
				n++
				if side == 0 {
					side = math.Copysign(1, t.coef)
				} else if math.Copysign(1, t.coef) != side {
					oneSide = false
				}
				need = max(need, g.width(t.cell))
			}
			// With all suppressed cells on one side they add up to -side·known; each
			// lies between 1 and that amount less the others' 1.
			if n == 1 || n > 1 && oneSide && -side*known-float64(n) < need {
				if c := g.smallest(r); c >= 0 {
					g.cells[c].supp = true
					changed = true
				}
			}
		}
	}
}

// smallest returns the published non-zero cell of r with the smallest value (in
// units of the protection), -1 when there is none.
func (g *grid) smallest(r relation) int {
	best := -1
	for _, t := range r {
		c := g.cells[t.cell]
		if c.supp || c.value == 0 {
			continue
		}
		if best < 0 || c.value/c.unit < g.cells[best].value/g.cells[best].unit {
			best = t.cell
		}
	}
	return best
}

// widen suppresses one more cell for the failing cell c: the smallest published
// non-zero cell in a sum with c, else in a sum with the suppressed cells around c
// (nearest first); only when no sum has one, the same through the inequalities. Sums
// come first: a partner in a sum gives c room to move, while suppressing a partner in
// an inequality (a participants cell, say) mostly spreads suppression to its own sums.
// It reports whether it found a cell.
func (g *grid) widen(c int) bool {
	seen := map[int]bool{c: true}
	frontier := []int{c}
	inequality := -1 // the best through an inequality, at the nearest level with one
	for len(frontier) > 0 {
		var next []int
		best := [2]int{-1, -1} // in a sum, in an inequality
		for _, f := range frontier {
			for _, ri := range g.rels[f] {
				kind := 0
				if ri >= len(g.eqs) {
					kind = 1
				}
				for _, t := range g.rel(ri) {
					x := g.cells[t.cell]
					switch {
					case x.supp:
						if !seen[t.cell] {
							seen[t.cell] = true
							next = append(next, t.cell)
						}
					case x.value != 0 && (best[kind] < 0 || g.smaller(t.cell, best[kind])):
						best[kind] = t.cell
					}
				}
			}
		}
		if best[0] >= 0 {
			g.cells[best[0]].supp = true
			return true
		}
		if inequality < 0 {
			inequality = best[1]
		}
		frontier = next
	}
	if inequality >= 0 {
		g.cells[inequality].supp = true
		return true
	}
	return false
}

// smaller reports whether cell a's value is smaller than b's, in protection units.
func (g *grid) smaller(a, b int) bool {
	return g.cells[a].value/g.cells[a].unit < g.cells[b].value/g.cells[b].unit
}

// maxLPVars bounds the size of one audit LP, whose cost grows with its rows times its
// columns at every step. A neighbourhood too large to solve counts as a failure,
// which suppresses more: safe, if wasteful.
const maxLPVars = 80

// audit reports whether the suppressed cell c cannot be narrowed by the attacker to
// an interval narrower than its width. It solves the attacker's LP on growing
// neighbourhoods of c: the suppressed cells closest to c are unknowns, all other
// suppressed cells are held at their true values. Holding cells fixed only narrows
// the attacker's interval, so a neighbourhood found wide enough proves the whole
// table is.
func (g *grid) audit(c int) bool {
	order, whole := g.neighbourhood(c, maxLPVars+1)
	if !whole && len(order) > maxLPVars {
		order = order[:maxLPVars]
	}
	last := 0
	for _, size := range []int{8, 20, 48, maxLPVars} {
		free := order[:min(size, len(order))]
		if len(free) > last {
			last = len(free)
			lo, hi, err := g.interval(c, free)
			if err == nil && math.Floor(hi+1e-6)-math.Ceil(lo-1e-6) >= g.width(c) {
				return true
			}
		}
		if len(free) == len(order) && whole {
			return false
		}
	}
	return false
}

// neighbourhood returns c and at most size-1 more suppressed cells around it, taken
// greedily by how many relations they share with the cells taken so far: a cell
// that closes a cycle of sums (the fourth corner of a rectangle) before one that only
// adds a branch, since cycles are what lets the attacker's unknowns move together.
// Its prefixes are the smaller neighbourhoods. whole reports that nothing more is
// connected to c.
func (g *grid) neighbourhood(c, size int) (cells []int, whole bool) {
	seen := make([]int32, len(g.cells)) // 0: not seen yet, else the order of first sight
	score := make([]int32, len(g.cells))
	taken := make([]bool, len(g.cells))
	var candidates []int
	n := int32(0)
	take := func(x int) {
		taken[x] = true
		cells = append(cells, x)
		for _, ri := range g.rels[x] {
			for _, t := range g.rel(ri) {
				y := t.cell
				if taken[y] || !g.cells[y].supp {
					continue
				}
				if seen[y] == 0 {
					n++
					seen[y] = n
					candidates = append(candidates, y)
				}
				score[y]++
			}
		}
	}
	take(c)
	for {
		best, bi := -1, -1
		for i, x := range candidates {
			if best < 0 || score[x] > score[best] || score[x] == score[best] && seen[x] < seen[best] {
				best, bi = x, i
			}
		}
		if best < 0 {
			return cells, true
		}
		if len(cells) == size {
			return cells, false
		}
		candidates[bi] = candidates[len(candidates)-1]
		candidates = candidates[:len(candidates)-1]
		take(best)
	}
}

// interval solves min and max of cell c over the attacker's polytope with the cells
// free as unknowns (≥ 1) and every other cell at its value.
func (g *grid) interval(c int, free []int) (lo, hi float64, err error) {
	col := make([]int, len(g.cells))
	for i := range col {
		col[i] = -1
	}
	for j, f := range free {
		col[f] = j
	}
	var p lpProblem
	p.n = len(free)
	add := func(r relation, le bool) {
		row := make([]float64, p.n)
		rhs := 0.0
		used := false
		for _, t := range r {
			if j := col[t.cell]; j >= 0 {
				row[j] += t.coef
				rhs -= t.coef // x = 1 + y
				used = true
			} else {
				rhs -= t.coef * g.cells[t.cell].value
			}
		}
		if !used {
			return
		}
		if le {
			p.le = append(p.le, row)
			p.leB = append(p.leB, rhs)
		} else {
			p.eq = append(p.eq, row)
			p.eqB = append(p.eqB, rhs)
		}
	}
	// the relations with an unknown, each once
	var rels []int
	for _, f := range free {
		rels = append(rels, g.rels[f]...)
	}
	slices.Sort(rels)
	for _, ri := range slices.Compact(rels) {
		add(g.rel(ri), ri >= len(g.eqs))
	}
	ylo, yhi, err := p.bounds(col[c])
	return 1 + ylo, 1 + yhi, err
}
