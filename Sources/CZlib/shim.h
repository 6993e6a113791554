#ifndef RMQSTORE_CZLIB_SHIM_H
#define RMQSTORE_CZLIB_SHIM_H
#include <zlib.h>
#endif
