/* libyaml's event parser, for reading kcx's declarative files with line and column marks. */
#include <yaml.h>
