#include "core/quantspec/OutputTask.h"

#include "core/Error.h"
#include "core/quantspec/JsonFields.h"

namespace tessera {

namespace {

struct KindName {
    TaskKind kind;
    const char* name;
};
constexpr KindName kKinds[] = {{TaskKind::Auto, "auto"},
                               {TaskKind::Classification, "classification"},
                               {TaskKind::Sequence, "sequence"},
                               {TaskKind::Dense, "dense"},
                               {TaskKind::Regression, "regression"}};

TaskKind autoKind(const Shape& s)
{
    const int64_t n = numElements(s);
    if (s.size() <= 1)
        return n > 1 ? TaskKind::Classification : TaskKind::Regression;
    if (s.size() == 2)
        return s[0] > 1 && s[1] > 1 ? TaskKind::Sequence : (n > 1 ? TaskKind::Classification : TaskKind::Regression);
    if (s.size() == 3 && s[1] * s[2] > 1)
        return TaskKind::Dense;
    return TaskKind::Regression;
}

} // namespace

const char* taskKindName(TaskKind kind)
{
    for (const KindName& k : kKinds)
        if (k.kind == kind)
            return k.name;
    return "?";
}

TaskKind parseTaskKind(const std::string& name)
{
    for (const KindName& k : kKinds)
        if (name == k.name)
            return k.kind;
    fail("unknown task '", name, "' (expected auto, classification, sequence, dense or regression)");
}

TaskLayout resolveTask(const OutputTask& task, const Shape& s, const std::string& output)
{
    TaskLayout l;
    l.kind = task.kind == TaskKind::Auto ? autoKind(s) : task.kind;
    l.blank = task.blank;
    l.maskThreshold = task.maskThreshold;
    const int64_t n = numElements(s);
    const std::string what = strCat("output '", output, "' (per sample ", shapeToString(s), ")");
    switch (l.kind) {
    case TaskKind::Sequence:
        if (s.size() != 2)
            fail(what, ": a sequence output is [T, C] per sample");
        if (task.blank < 0 || task.blank >= s[1])
            fail(what, ": blank class ", task.blank, " is outside its ", s[1], " classes");
        l.positions = s[0];
        l.classes = s[1];
        l.positionStride = s[1];
        break;
    case TaskKind::Dense:
        if (s.size() != 3)
            fail(what, ": a dense output is [C, H, W] per sample");
        l.positions = s[1] * s[2];
        l.classes = s[0];
        l.classStride = s[1] * s[2];
        break;
    case TaskKind::Classification:
        l.classes = n;
        break;
    default:
        l.classes = n;
        break;
    }
    return l;
}

nlohmann::json toJson(const OutputTask& t)
{
    return {{"kind", taskKindName(t.kind)}, {"blank", t.blank}, {"mask_threshold", t.maskThreshold}};
}

OutputTask outputTaskFromJson(const nlohmann::json& j, const std::string& where)
{
    using namespace jsonfields;
    OutputTask t;
    t.kind = parseTaskKind(getString(j, "kind", where, "auto"));
    t.blank = getInt(j, "blank", where, 0, int64_t(1) << 40, 0);
    t.maskThreshold = getDouble(j, "mask_threshold", where, -1e30, 1e30, 0.3);
    return t;
}

} // namespace tessera
