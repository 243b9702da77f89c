package jsonx

// SortNames sorts names in increasing byte order, as slices.Sort does: the order in which
// json.Marshal writes a map's names. It is a heap sort written for []string alone
// (O(n log n), in place; the names of a map are distinct, so stability does not arise):
// slices.Sort's generic pdqsort, instantiated for strings, was about 18 KB of the module's
// code for the few maps and key sets Exeunt sorts. TestSortNamesIsSlicesSort compares them.
func SortNames(names []string) {
	n := len(names)
	for i := n/2 - 1; i >= 0; i-- {
		siftDown(names, i, n)
	}
	for end := n - 1; end > 0; end-- {
		names[0], names[end] = names[end], names[0]
		siftDown(names, 0, end)
	}
}

// siftDown restores the max-heap below root in names[:n].
func siftDown(names []string, root, n int) {
	for {
		child := 2*root + 1
		if child >= n {
			return
		}
		if child+1 < n && names[child] < names[child+1] {
			child++
		}
		if names[root] >= names[child] {
			return
		}
		names[root], names[child] = names[child], names[root]
		root = child
	}
}
