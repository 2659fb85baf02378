// Package eval measures cross-modal retrieval: how well a similarity matrix
// between a gallery of images and a gallery of sentences ranks each
// query's relevant items first.
//
// One implementation serves training-time validation, final testing, the
// aeir CLI, the browser demo (TopK) and the figures (RecallCurve, Chance),
// so every number the project reports is computed by the code in this
// package.
//
// # Inputs
//
// A similarity matrix sim of nImg×nTxt float32 scores, row-major:
// sim[i*nTxt+j] is the score of image i with text j (higher is more
// similar; Similarity computes it from embeddings). textImage, of length
// nTxt, gives for every text j the index of the one image it describes.
// An image may have k ≥ 1 texts; every image must have at least one.
// Scores may be ±Inf but not NaN.
//
// # Ranks
//
// Ties are broken pessimistically: an item whose score equals the score of
// the correct item counts as ranked ahead of it. A constant similarity
// matrix therefore gets the worst possible ranks and cannot score above
// chance.
//
// Image→text (i2t), query image i with relevant texts T_i (|T_i| = k_i):
// its rank is the best rank among its relevant texts (VSE++ convention),
// and other relevant texts do not push the best one down:
//
//	s*_i      = max_{j ∈ T_i} sim[i,j]
//	rank_i    = 1 + |{ j ∉ T_i : sim[i,j] ≥ s*_i }|
//
// Text→image (t2i), query text j with image g = textImage[j]:
//
//	rank_j    = 1 + |{ i ≠ g : sim[i,j] ≥ sim[g,j] }|
//
// # Metrics
//
// For one direction with queries q = 1…N and 1-based ranks r_q:
//
//	R@K       = 100 · |{ q : r_q ≤ K }| / N           (percent)
//	MedianRank = median of r_q (mean of the two middle ranks when N is even)
//	MeanRank  = (1/N) Σ_q r_q
//	rsum      = R@1 + R@5 + R@10 (i2t) + R@1 + R@5 + R@10 (t2i)
//
// VSE++ reports floor(median); this package keeps the exact median, so it
// may end in .5.
//
// mAP (percent) is the mean over queries of the average precision. For
// t2i a query has a single relevant image, so AP_j = 1/rank_j. For i2t,
// sort the relevant scores of image i in descending order,
// v_1 ≥ v_2 ≥ … ≥ v_k, and place every irrelevant text that ties with a
// relevant one ahead of it (pessimistic); the m-th relevant text then sits
// at position m + c_m with c_m = |{ j ∉ T_i : sim[i,j] ≥ v_m }|, and
//
//	AP_i      = (1/k) Σ_{m=1…k} m / (m + c_m)
//	mAP       = 100 · (1/N) Σ_q AP_q
//
// Chance gives the expectation of these metrics under a uniformly random
// ranking, the row reports print as "chance".
//
// # Outputs
//
// Metrics.Table, TableHeader and WriteTable print fixed-width markdown
// rows; WriteCSV, WriteJSON and ReadJSON store a list of named results
// (Row) for the results table and the figures, and SaveFile writes any of
// the three formats to disk atomically (temporary file, then rename).
//
// testdata/ref_metrics.py recomputes the metrics with numpy from a CSV
// similarity matrix; the tests compare it with this package when python3
// and numpy are installed.
package eval
