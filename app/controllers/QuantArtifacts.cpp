#include "app/controllers/QuantArtifacts.h"

#include "core/Error.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

#include <limits>

namespace tessera::studio {

namespace {

QString appCacheDir()
{
    return QFileInfo(QStandardPaths::writableLocation(QStandardPaths::CacheLocation)).absoluteFilePath();
}

} // namespace

double dbFromJson(const nlohmann::json& v)
{
    return v.is_null() ? std::numeric_limits<double>::infinity() : v.get<double>();
}

QString modelCacheDir(const QString& modelPath)
{
    const QFileInfo model(modelPath);
    const QByteArray key = QCryptographicHash::hash(model.absoluteFilePath().toUtf8(), QCryptographicHash::Sha1);
    return QDir(appCacheDir()).filePath(QString("quant/%1-%2").arg(model.completeBaseName(), key.toHex().left(10)));
}

bool isInAppCache(const QString& path)
{
    return !path.isEmpty() && QFileInfo(path).absoluteFilePath().startsWith(appCacheDir() + "/");
}

nlohmann::json measurementJson(const nlohmann::json& evalJson, const std::map<std::string, int>& weightBits,
                               const std::map<std::string, int>& adcBits, double cost,
                               const std::map<std::string, int>& dacBits)
{
    nlohmann::json j = evalJson;
    j["weight_bits"] = weightBits;
    j["adc_bits"] = adcBits;
    j["dac_bits"] = dacBits;
    j["cost"] = std::isnan(cost) ? nlohmann::json() : nlohmann::json(cost);
    return j;
}

QuantMeasurement measurementFromJson(const nlohmann::json& j, std::vector<quant::LayerError>& layers,
                                     const std::string& source)
{
    try {
        QuantMeasurement m;
        if (j.contains("weight_bits"))
            m.weightBits = j.at("weight_bits").get<std::map<std::string, int>>();
        if (j.contains("adc_bits"))
            m.adcBits = j.at("adc_bits").get<std::map<std::string, int>>();
        if (j.contains("dac_bits"))
            m.dacBits = j.at("dac_bits").get<std::map<std::string, int>>();
        m.cost = j.contains("cost") && !j.at("cost").is_null() ? j.at("cost").get<double>()
                                                                 : std::numeric_limits<double>::quiet_NaN();
        m.samples = j.at("samples").get<int64_t>();
        m.agreement = j.at("agreement").get<double>();
        if (j.contains("task") && j.at("task").contains("metric"))
            m.metric = j.at("task").at("metric").get<std::string>();
        m.hasLabels = j.contains("quant_top1");
        m.fp32Top1 = j.value("fp32_top1", 0.0);
        m.quantTop1 = j.value("quant_top1", 0.0);
        m.accuracyDrop = m.hasLabels ? m.fp32Top1 - m.quantTop1 : 1.0 - m.agreement;
        m.outputSqnrDb = dbFromJson(j.at("output_sqnr_db"));
        layers.clear();
        for (const auto& l : j.at("layers"))
            layers.push_back({l.at("node").get<std::string>(), l.at("op").get<std::string>(),
                              l.at("value").get<std::string>(), l.at("analog").get<bool>(), dbFromJson(l.at("sqnr_db"))});
        return m;
    } catch (const nlohmann::json::exception& e) {
        fail("evaluation result '", source, "' does not look like `tessera quant-eval` output: ", e.what());
    }
}

} // namespace tessera::studio
