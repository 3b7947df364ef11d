#include "CBPFSyscall.h"
