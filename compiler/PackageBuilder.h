#pragma once
// The deployment package of a compiled model (core/package/Package.h): the programmed
// layers, every array's weight image with its placed blocks, the tensors with their SRAM
// buffers, the digital ops, and one program per tile in the package's instruction set.
#include "compiler/Compiler.h"
#include "core/package/Package.h"

#include <string>

namespace tessera::compiler {

struct PackageIdentity {
    std::string modelName;
    std::string modelHash; // graphContentHash of the imported model
    std::string specHash;  // may be empty
};

// "xxh3-64:<16 hex>" of the spec's JSON text (PackageHeader::specHash).
std::string specContentHash(const QuantSpec& spec);

// Format 2 (executable programs, docs/package-format.md). Throws tessera::Error when the
// result does not fit or a weight takes several cells
// (the package stores one level per cell).
package::Package buildPackage(const Graph& graph, const CompileResult& result, const QuantSpec* spec,
                              const PackageIdentity& identity);

} // namespace tessera::compiler
