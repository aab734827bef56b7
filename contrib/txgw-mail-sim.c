/* txgw-mail-sim: being written. */
#include <stdio.h>
int main(void)
{
	fprintf(stderr, "txgw-mail-sim: not written yet\n");
	return 2;
}
