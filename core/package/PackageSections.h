#pragma once
// Section bodies of the .tpkg format shared between PackageIO.cpp (file framing, layers,
// arrays, programs) and PackageSections.cpp (attributes, constant tensors, digital ops,
// tensors, I/O, non-idealities). Internal to core/package.
#include "core/package/ByteIO.h"
#include "core/package/Package.h"

namespace tessera::package::detail {

void writeAttributes(Writer& w, const Attributes& attrs);
Attributes readAttributes(Reader& r);
void writeTensorData(Writer& w, const Tensor& t);
Tensor readTensorData(Reader& r, const char* what);

void writeDigitalOps(Writer& w, const Package& pkg);
void readDigitalOps(Reader& r, Package& pkg);
void writeTensors(Writer& w, const Package& pkg);
void readTensors(Reader& r, Package& pkg);
void writeIo(Writer& w, const Package& pkg);
void readIo(Reader& r, Package& pkg);
void writeNoise(Writer& w, const Package& pkg);
void readNoise(Reader& r, Package& pkg);

} // namespace tessera::package::detail
