package e2e

import "testing"

// The quality log says "not in the top 10" for a miss, not "rank 0".
func TestRankText(t *testing.T) {
	got := []int{4, 7, 9}
	for _, c := range []struct {
		want []int
		text string
	}{
		{[]int{7}, "at rank 2"},
		{[]int{9, 4}, "at rank 1"},
		{[]int{5}, "not in the top 3"},
	} {
		if s := rankText(rankOf(got, c.want), len(got)); s != c.text {
			t.Errorf("%v in %v: %q, want %q", c.want, got, s, c.text)
		}
	}
}
