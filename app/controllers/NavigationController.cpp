#include "app/controllers/NavigationController.h"

#include <algorithm>

namespace tessera::studio {

NavigationController::NavigationController(ProjectModel* model, QObject* parent) : QObject(parent), m_model(model) {}

NodeId NavigationController::currentNode() const
{
    return m_model->document() ? m_model->selection()->current() : kNoNode;
}

NodeId NavigationController::selectIfValid(NodeId node)
{
    if (node != kNoNode)
        m_model->selection()->select(node, true);
    return node;
}

NodeId NavigationController::goToProducer()
{
    const DocumentPtr& doc = m_model->document();
    const NodeId cur = currentNode();
    if (cur == kNoNode)
        return kNoNode;
    const auto producers = doc->producersOf(cur);
    if (producers.empty())
        return kNoNode;
    m_cameFrom = cur;
    return selectIfValid(producers.front());
}

NodeId NavigationController::goToConsumer()
{
    const DocumentPtr& doc = m_model->document();
    const NodeId cur = currentNode();
    if (cur == kNoNode)
        return kNoNode;
    const auto consumers = doc->consumersOf(cur);
    if (consumers.empty())
        return kNoNode;
    auto back = std::find(consumers.begin(), consumers.end(), m_cameFrom);
    return selectIfValid(back != consumers.end() ? *back : consumers.front());
}

NodeId NavigationController::goToSibling(int step)
{
    const DocumentPtr& doc = m_model->document();
    const NodeId cur = currentNode();
    if (cur == kNoNode)
        return kNoNode;
    const auto producers = doc->producersOf(cur);
    if (producers.empty())
        return kNoNode;
    const auto siblings = doc->consumersOf(producers.front());
    auto it = std::find(siblings.begin(), siblings.end(), cur);
    if (it == siblings.end() || siblings.size() < 2)
        return kNoNode;
    const int n = static_cast<int>(siblings.size());
    const int index = (static_cast<int>(it - siblings.begin()) + step % n + n) % n;
    return selectIfValid(siblings[index]);
}

} // namespace tessera::studio
