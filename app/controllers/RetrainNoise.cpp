// No Qt header here: QatHooks.h includes torch (see RetrainNoise.h).
#include "app/controllers/RetrainNoise.h"

#if TESSERA_HAVE_TRAINING
#include "quant/train/QatHooks.h"
#endif

namespace tessera::studio {

analog::NonIdealities trainingDefaultNoise(uint64_t seed)
{
#if TESSERA_HAVE_TRAINING
    return train::defaultAnalogNoise(seed);
#else
    (void)seed;
    return {};
#endif
}

} // namespace tessera::studio
