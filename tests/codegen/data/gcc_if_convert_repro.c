#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
__attribute__((noinline)) void pad(const float* restrict inputs, float* restrict pad_temp) {
    for (int64_t i1 = 0; i1 < 10; ++i1)
      for (int64_t i2 = 0; i2 < 16; ++i2)
        for (int64_t i3 = 0; i3 < 16; ++i3) {
          float g[3] __attribute__((aligned(64)));
          for (int64_t i4 = 0; i4 < 3; ++i4)
            g[i4] = (((i1 >= 3) && (i1 < 7)) && ((i2 >= 3) && (i2 < 13)) && ((i3 >= 3) && (i3 < 13))) ? inputs[(i1 * 300 + i2 * 30 + i3 * 3 + i4) - 999] : 0.0f;
          for (int64_t ax4 = 0; ax4 < 3; ++ax4)
            pad_temp[i1 * 768 + i2 * 48 + i3 * 3 + ax4] = g[ax4];
        }
}
int main() {
  float* in = malloc(1200 * 4); for (int i = 0; i < 1200; i++) in[i] = i;
  float* p = malloc(7680 * 4);
  pad(in, p);
  int bad = 0;
  for (int i1 = 0; i1 < 10; i1++) for (int i2 = 0; i2 < 16; i2++) for (int i3 = 0; i3 < 16; i3++) for (int c = 0; c < 3; c++) {
    int ok = i1 >= 3 && i1 < 7 && i2 >= 3 && i2 < 13 && i3 >= 3 && i3 < 13;
    float want = ok ? in[(i1-3)*300 + (i2-3)*30 + (i3-3)*3 + c] : 0.0f;
    if (p[i1*768 + i2*48 + i3*3 + c] != want) bad++;
  }
  printf("bad=%d\n", bad);
}
