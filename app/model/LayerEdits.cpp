#include "app/model/LayerEdits.h"

namespace tessera::studio {

SetLayerAdcBits::SetLayerAdcBits(ProjectModel* model, const QString& layer, int bits)
    : SetLayerChoice(model, layer, kKey, bits)
{
    setText(QString("Set %1 ADC to %2 bits").arg(layer).arg(bits));
}

SetLayerDacBits::SetLayerDacBits(ProjectModel* model, const QString& layer, int bits)
    : SetLayerChoice(model, layer, kKey, bits)
{
    setText(QString("Set %1 DAC to %2 bits").arg(layer).arg(bits));
}

} // namespace tessera::studio
