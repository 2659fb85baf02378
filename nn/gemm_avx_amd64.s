//go:build !noasm

#include "textflag.h"

// ADDROW adds alpha (Y15) times the accumulators a, b, c into the 24
// floats of C at DX; SETROW stores alpha times them there.
#define ADDROW(a, b, c) \
	VMOVUPS     (DX), Y12   \
	VMOVUPS     32(DX), Y13 \
	VMOVUPS     64(DX), Y14 \
	VFMADD231PS a, Y15, Y12 \
	VFMADD231PS b, Y15, Y13 \
	VFMADD231PS c, Y15, Y14 \
	VMOVUPS     Y12, (DX)   \
	VMOVUPS     Y13, 32(DX) \
	VMOVUPS     Y14, 64(DX)

#define SETROW(a, b, c) \
	VMULPS  a, Y15, Y12 \
	VMULPS  b, Y15, Y13 \
	VMULPS  c, Y15, Y14 \
	VMOVUPS Y12, (DX)   \
	VMOVUPS Y13, 32(DX) \
	VMOVUPS Y14, 64(DX)

// func sgemm4x24(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha float32, add bool)
//
// C[0:4, 0:24] += alpha · A·B (add) or C[0:4, 0:24] = alpha · A·B (!add) for a packed 4×kc panel of A (for each p the
// four values A[0..3, p]) and a kc×24 block of B whose rows, 24 contiguous
// values each, are ldb apart (24 for a packed panel); C is row-major with
// leading dimension ldc. The 4×24
// tile lives in Y0…Y11 (three 8-wide registers per row); Y12…Y14 hold a row
// of B and Y15 a broadcast element of A. Needs AVX2 and FMA.
TEXT ·sgemm4x24(SB), NOSPLIT, $0-53
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ ldb+24(FP), DI
	SHLQ $2, DI
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), SI
	SHLQ $2, SI

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	TESTQ CX, CX
	JZ    store

loop:
	VMOVUPS      (BX), Y12
	VMOVUPS      32(BX), Y13
	VMOVUPS      64(BX), Y14
	VBROADCASTSS (AX), Y15
	VFMADD231PS  Y12, Y15, Y0
	VFMADD231PS  Y13, Y15, Y1
	VFMADD231PS  Y14, Y15, Y2
	VBROADCASTSS 4(AX), Y15
	VFMADD231PS  Y12, Y15, Y3
	VFMADD231PS  Y13, Y15, Y4
	VFMADD231PS  Y14, Y15, Y5
	VBROADCASTSS 8(AX), Y15
	VFMADD231PS  Y12, Y15, Y6
	VFMADD231PS  Y13, Y15, Y7
	VFMADD231PS  Y14, Y15, Y8
	VBROADCASTSS 12(AX), Y15
	VFMADD231PS  Y12, Y15, Y9
	VFMADD231PS  Y13, Y15, Y10
	VFMADD231PS  Y14, Y15, Y11
	ADDQ         $16, AX
	ADDQ         DI, BX
	DECQ         CX
	JNZ          loop

store:
	VBROADCASTSS alpha+48(FP), Y15
	MOVBLZX      add+52(FP), R8
	TESTQ        R8, R8
	JZ           overwrite
	ADDROW(Y0, Y1, Y2)
	ADDQ         SI, DX
	ADDROW(Y3, Y4, Y5)
	ADDQ         SI, DX
	ADDROW(Y6, Y7, Y8)
	ADDQ         SI, DX
	ADDROW(Y9, Y10, Y11)
	VZEROUPPER
	RET

overwrite:
	SETROW(Y0, Y1, Y2)
	ADDQ SI, DX
	SETROW(Y3, Y4, Y5)
	ADDQ SI, DX
	SETROW(Y6, Y7, Y8)
	ADDQ SI, DX
	SETROW(Y9, Y10, Y11)
	VZEROUPPER
	RET
