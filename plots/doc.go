// Package plots draws the project's figures: contact sheets of the data,
// t-SNE maps of domain alignment, recall@K curves, training curves and
// results bars, on gonum.org/v1/plot. The CLI (`aeir plot`), the
// notebooks and the docs all draw with it.
//
// # Figures
//
//   - MapFigure: t-SNE maps side by side (e.g. before and after
//     adaptation). Colour is the domain, marker shape the modality (circle
//     image, triangle sentence); optionally some points carry their
//     picture (the 32-px emoji) framed in the domain's colour. Map runs
//     the t-SNE (package tsne) on all groups jointly.
//   - RecallFigure: R@K for K = 1…100, image→text and text→image, one
//     line per method, the chance curve and the target oracle in grey.
//   - CurvesFigure: per epoch, the loss parts, the discriminator and
//     neighbour accuracies when recorded, and the validation rsum.
//   - ResultsFigure: grouped bars per scenario, mean ± standard deviation
//     over seeds, from a results CSV (ReadResultsCSV, Summarize).
//
// Every builder returns a *Figure: a grid of panels under one legend
// strip, which never covers data. Figure.Save writes PNG, SVG or PDF by
// the file's extension.
//
// # Style
//
// Sizes fit a two-column paper: SingleColumn (3.5 in) and DoubleColumn
// (7 in) wide, type from 7 pt (ticks) to 8.5 pt (titles) in Liberation
// Sans, embedded in PDFs. Colours follow the Okabe–Ito palette, which
// stays distinct under every common colour-vision deficiency; lines also
// differ in dash pattern, so figures survive greyscale print. The target
// oracle is always grey, hatched in bars, and labelled "(upper bound)".
// PNGs are 300 dpi by default.
//
// # Reproducible bytes
//
// The same input gives the same bytes in all three formats
// (TestDeterministicBytes). PNG and SVG are deterministic as gonum/plot
// writes them. For PDF, fpdf's creation and modification dates are fixed
// (SOURCE_DATE_EPOCH when set, else 2024-01-01) and its catalogues
// sorted; because fpdf still orders images of equal width by map
// iteration, the PDF canvas gathers all pictures of a figure into one
// image. The PDF canvas also converts text to Windows-1252, the encoding
// vgpdf declares for its fonts ("→" becomes "->").
package plots
