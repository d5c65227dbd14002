package stats

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

// boundsGonum is bounds solved by gonum's lp.Simplex: the independent solver the
// tests check the package's own simplex and its audits against.
func (p lpProblem) boundsGonum(j int) (lo, hi float64, err error) {
	eq, eqB, err := independentRows(p.eq, p.eqB, p.n)
	if err != nil {
		return 0, 0, err
	}
	used := make([]bool, p.n)
	for _, rows := range [][][]float64{eq, p.le} {
		for _, r := range rows {
			for k, v := range r {
				if v != 0 {
					used[k] = true
				}
			}
		}
	}
	if !used[j] {
		return 0, math.Inf(1), nil
	}
	var keep []int
	target := -1
	for k := range p.n {
		if used[k] {
			if k == j {
				target = len(keep)
			}
			keep = append(keep, k)
		}
	}
	// Standard form [eq 0; le I]·(y, s) = b: full row rank, as gonum requires.
	m, nv, ns := len(eq)+len(p.le), len(keep), len(p.le)
	a := mat.NewDense(m, nv+ns, nil)
	b := make([]float64, m)
	for ci, k := range keep {
		for i, r := range eq {
			a.Set(i, ci, r[k])
		}
		for i, r := range p.le {
			a.Set(len(eq)+i, ci, r[k])
		}
	}
	copy(b, eqB)
	for i := range p.le {
		a.Set(len(eq)+i, nv+i, 1)
		b[len(eq)+i] = p.leB[i]
	}
	// Tiny distinct right-hand sides break the ties of degenerate vertices, at which
	// gonum's simplex can cycle.
	for i := range b {
		b[i] += 1e-9 * (1 + float64((i*7919)%997)/997)
	}
	c := make([]float64, nv+ns)
	c[target] = 1
	if lo, _, err = gonumSimplex(c, a, b); err != nil {
		return 0, 0, err
	}
	c[target] = -1
	neg, _, err := gonumSimplex(c, a, b)
	if errors.Is(err, lp.ErrUnbounded) {
		return lo, math.Inf(1), nil
	}
	return lo, -neg, err
}

// gonumSimplex runs lp.Simplex with a step budget: it has no iteration limit. The
// matrix counts gonum's element reads (a few columns per step) and stops the run.
func gonumSimplex(c []float64, a mat.Matrix, b []float64) (f float64, x []float64, err error) {
	m, n := a.Dims()
	w := &watchdog{Matrix: a, budget: 200 * (m + 1) * (n + 1)}
	// gonum also panics on some degenerate problems ("subcolumns of A for supplied
	// initial basic singular", from its own first phase): that, too, is giving up.
	defer func() {
		if r := recover(); r != nil {
			f, x, err = 0, nil, fmt.Errorf("gonum gave up: %v", r)
		}
	}()
	return lp.Simplex(c, w, b, 1e-9, nil)
}

type watchdog struct {
	mat.Matrix
	budget int
}

func (w *watchdog) At(i, j int) float64 {
	w.budget--
	if w.budget < 0 {
		panic(errStalled)
	}
	return w.Matrix.At(i, j)
}

// TestSimplexAgreesWithGonum solves random attacker-like problems (sums of whole
// numbers with some known, inequalities between them) with both solvers.
func TestSimplexAgreesWithGonum(t *testing.T) {
	compared := 0
	for seed := range 300 {
		r := rand.New(rand.NewPCG(uint64(seed), 7))
		n := 2 + r.IntN(10)
		truth := make([]float64, n)
		for k := range truth {
			truth[k] = float64(r.IntN(12))
		}
		var p lpProblem
		p.n = n
		for range 1 + r.IntN(n) {
			row := make([]float64, n)
			rhs := 0.0
			for k := range row {
				if r.IntN(3) == 0 {
					row[k] = float64(1 - 2*r.IntN(2))
					rhs += row[k] * truth[k]
				}
			}
			if r.IntN(3) == 0 {
				p.le, p.leB = append(p.le, row), append(p.leB, rhs+float64(r.IntN(3)))
			} else {
				p.eq, p.eqB = append(p.eq, row), append(p.eqB, rhs)
			}
		}
		for j := range n {
			lo, hi, err := p.bounds(j)
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			if lo > truth[j]+1e-6 || hi < truth[j]-1e-6 {
				t.Fatalf("seed %d y%d: [%v, %v] misses the true %v", seed, j, lo, hi, truth[j])
			}
			glo, ghi, err := p.boundsGonum(j)
			if err != nil {
				continue // gonum gave up (singular basis, stall): nothing to compare
			}
			compared++
			if math.Abs(lo-glo) > 1e-5 || math.IsInf(hi, 1) != math.IsInf(ghi, 1) || !math.IsInf(hi, 1) && math.Abs(hi-ghi) > 1e-5 {
				t.Fatalf("seed %d y%d: own [%v, %v], gonum [%v, %v]", seed, j, lo, hi, glo, ghi)
			}
		}
	}
	if compared < 1000 {
		t.Errorf("only %d bounds compared with gonum", compared)
	}
}
