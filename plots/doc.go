// Package plots draws the project's figures: contact sheets of the data,
// t-SNE maps of domain alignment, recall@K curves, training curves and
// results bars, on gonum.org/v1/plot. The CLI, the notebooks and the site
// all draw with it.
package plots
