#pragma once
// Input shapes taken from the chosen calibration data. Samples are stacked along axis 0 of
// the data, each of the input's shape without its batch dim (quant/Dataset.h,
// checkSamplesFitGraph), so an .npy of shape [N, 3, 640, 640] says a detector's symbolic H and
// W are 640; a folder of PNG images says them too when every image has the same size. The
// batch dim is never taken from the data: a model with a fixed batch calibrates from any
// number of samples.
#include "app/model/InputShapes.h"

#include <QString>

namespace tessera::studio {

struct DataShapeFit {
    enum class Kind {
        Fits,    // the data fits the shapes as they are
        Reshape, // the data fixes symbolic dims: `shapes` is the project's map with them
        Misfit,  // the data cannot feed the model: `text` names the file, its shape and the input
    };
    Kind kind = Kind::Fits;
    InputShapeMap shapes;
    QString text; // one line for the log
};

// The sample shape of `dataPath` (an .npy file or an image folder) against the document's
// single input. Dims that can change are the symbolic ones: those the import set to 1 and
// those the project's input shapes already give (which the import accepted, so symbolic or
// equal to the model's). `project` supplies those shapes.
DataShapeFit fitShapesToData(const GraphDocument& doc, const ProjectFile& project, const QString& dataPath);

} // namespace tessera::studio
