// Package run owns the life of a run directory between training and its
// users: naming data sources (ParseSpec: a VendorMoji domain, or a user's
// table, Karpathy file or precomp folder), building a task from a run's
// options through the registry of source kinds (Kinds, Task), preparing
// options for the data (Prepare), opening a run (Open) and evaluating it
// (Run.Evaluate: a split or the whole gallery, CSLS, test-time views), the
// CCA baseline included. The CLI, aeir bench, the exports, the notebooks
// and the tests all go through it.
package run
