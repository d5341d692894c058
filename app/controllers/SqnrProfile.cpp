#include "app/controllers/SqnrProfile.h"

#include <cmath>
#include <limits>
#include <map>

namespace tessera::studio {

int SqnrProfile::indexOf(const QString& node) const
{
    for (size_t i = 0; i < points.size(); ++i)
        if (points[i].node == node)
            return static_cast<int>(i);
    return -1;
}

double SqnrProfile::sqnrOf(const QString& node) const
{
    const int i = indexOf(node);
    return i < 0 ? std::numeric_limits<double>::quiet_NaN() : points[i].sqnrDb;
}

SqnrProfile buildSqnrProfile(const std::vector<quant::LayerError>& layers, const Graph& graph)
{
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    SqnrProfile profile;
    std::map<std::string, double> sqnrOfValue;
    double worstDrop = 0.0; // only a real drop is highlighted
    for (const quant::LayerError& l : layers) {
        SqnrPoint p{QString::fromStdString(l.node), QString::fromStdString(l.opType), QString::fromStdString(l.value),
                    kNoNode, l.analog, l.sqnrDb, kNaN};
        if (std::optional<NodeId> id = graph.findNode(l.node)) {
            p.id = *id;
            double in = std::numeric_limits<double>::infinity();
            bool listed = false;
            for (ValueId v : graph.node(*id).inputs) {
                const auto it = v == kNoValue ? sqnrOfValue.end() : sqnrOfValue.find(graph.value(v).name);
                if (it != sqnrOfValue.end()) {
                    in = std::min(in, it->second);
                    listed = true;
                }
            }
            if (listed && std::isfinite(in) && std::isfinite(l.sqnrDb))
                p.dropDb = in - l.sqnrDb;
        }
        sqnrOfValue[l.value] = l.sqnrDb;
        if (std::isfinite(p.dropDb) && p.dropDb > worstDrop) {
            worstDrop = p.dropDb;
            profile.worst = static_cast<int>(profile.points.size());
        }
        profile.points.push_back(std::move(p));
    }
    return profile;
}

} // namespace tessera::studio
