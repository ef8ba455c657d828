/* Checks corewise's own float32 vector math (csrc/vmath/expf.c, logf.c,
 * trig.c)
 * outside CI on ALL 2^32 float inputs: each function's vector loop at
 * every ISA level this CPU has, bit for bit against a correctly rounded
 * reference -- the float64 function of csrc/vmath/ (correctly rounded,
 * checked against mpmath and the published worst cases by
 * tests/test_vmath.py) rounded to float, which is the correctly rounded
 * float unless that double lies exactly on a float midpoint (then the
 * exact path of mp.c, rounding straight to float, decides).  NaN results
 * compare as NaN; everything else, signed zeros included, by bits.  It
 * also counts the lanes that took the exact path.  tests/test_vmathf.py
 * runs a sample of the same comparison in CI.  Build and run from the
 * repository root (2 cores: about 2 minutes each for exp..log10, 14-18 for
 * each of sin, cos, tan, whose huge inputs take the scalar tier):
 *
 *   gcc -O3 -fopenmp -fno-math-errno -std=gnu11 -Icsrc/vmath tools/vmathf_exhaustive.c \
 *       csrc/vmath/vmath.c csrc/vmath/mp.c -lm -o /tmp/vmathf_exhaustive
 *   /tmp/vmathf_exhaustive [function [step]]
 *
 * (step K checks every K-th chunk of 2^16 consecutive bit patterns only.)
 * Exit status 1 if any result differs. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vmath.h"
#include "exp.c"
#include "log.c"
#include "expf.c"
#include "logf.c"
#include "trig.c"

void cw_vm_set_level(int level);
int cw_vmath_cpu_isa(void);

typedef void (*floop)(ptrdiff_t, const float *, float *);
typedef void (*dloop)(ptrdiff_t, const double *, double *);
static const struct {
    const char *name;
    floop f;
    dloop d;
    float (*exact)(float);
} FN[] = {
    { "exp", cw_vm_expf, cw_vm_exp, cw_vm_expf_exact },
    { "exp2", cw_vm_exp2f, cw_vm_exp2, cw_vm_exp2f_exact },
    { "log", cw_vm_logf, cw_vm_log, cw_vm_logf_exact },
    { "log2", cw_vm_log2f, cw_vm_log2, cw_vm_log2f_exact },
    { "log10", cw_vm_log10f, cw_vm_log10, cw_vm_log10f_exact },
    { "sin", cw_vm_sinf, cw_vm_sin, cw_vm_sinf_exact },
    { "cos", cw_vm_cosf, cw_vm_cos, cw_vm_cosf_exact },
    { "tan", cw_vm_tanf, cw_vm_tan, cw_vm_tanf_exact },
};

#define CHUNK (1 << 16)

static int same(float a, float b)
{
    uint32_t x, y;
    memcpy(&x, &a, 4);
    memcpy(&y, &b, 4);
    return x == y || (a != a && b != b);
}

int main(int argc, char **argv)
{
    int levels = cw_vmath_cpu_isa() + 1, fails = 0;
    const long long step = argc > 2 ? atoll(argv[2]) : 1;
    for (size_t f = 0; f < sizeof FN / sizeof FN[0]; f++) {
        if (argc > 1 && strcmp(argv[1], FN[f].name) && strcmp(argv[1], "all"))
            continue;
        long long differ[3] = { 0, 0, 0 }, exact0 = cw_vm_exact_calls;
        for (int lv = 0; lv < levels; lv++) {
            cw_vm_set_level(lv);
#pragma omp parallel for schedule(dynamic) reduction(+ : differ[lv])
            for (long long c = 0; c < (1ll << 32) / CHUNK; c += step) {
                static __thread float x[CHUNK], z[CHUNK];
                static __thread double xd[CHUNK], zd[CHUNK];
                for (int i = 0; i < CHUNK; i++) {
                    uint32_t b = (uint32_t)(c * CHUNK + i);
                    memcpy(&x[i], &b, 4);
                    xd[i] = x[i];
                }
                FN[f].f(CHUNK, x, z);
                FN[f].d(CHUNK, xd, zd);
                for (int i = 0; i < CHUNK; i++) {
                    float ref = (float)zd[i];
                    /* on a float midpoint (normal or subnormal): the exact
                     * path, which rounds to float itself, decides */
                    if (isfinite(zd[i]) && ref != zd[i] && isfinite(ref)) {
                        float g = nextafterf(ref, zd[i] > ref ? INFINITY : -INFINITY);
                        if ((double)ref + (double)g == 2 * zd[i])
                            ref = FN[f].exact(x[i]);
                    }
                    if (!same(z[i], ref)) {
                        if (differ[lv] < 5)
                            printf("  %s level %d: x = %a: %a, correctly rounded %a\n",
                                   FN[f].name, lv, x[i], z[i], ref);
                        differ[lv]++;
                    }
                }
            }
        }
        printf("%-6s float32, %s inputs, ISA levels 0..%d: %lld / %lld / %lld differ from the "
               "correctly rounded result; %lld exact-path calls (all levels, both loops)\n",
               FN[f].name, step == 1 ? "all 2^32" : "every step-th 2^16 of the 2^32", levels - 1, differ[0], differ[1], differ[2], cw_vm_exact_calls - exact0);
        fails += differ[0] + differ[1] + differ[2] > 0;
        fflush(stdout);
    }
    cw_vm_set_level(levels - 1);
    return fails != 0;
}
