#pragma once
// Keyboard walking along the graph from the selected node: up to a producer, down to a
// consumer, sideways among the nodes sharing that producer.
#include "app/model/ProjectModel.h"

namespace tessera::studio {

class NavigationController : public QObject {
    Q_OBJECT
public:
    explicit NavigationController(ProjectModel* model, QObject* parent = nullptr);

    // Each selects and reveals the target; returns it, or kNoNode (selection unchanged).
    NodeId goToProducer();
    NodeId goToConsumer();
    NodeId goToSibling(int step); // +1 right, -1 left

private:
    // The selected node, or kNoNode when nothing is loaded or selected.
    NodeId currentNode() const;
    NodeId selectIfValid(NodeId node);
    ProjectModel* m_model;
    NodeId m_cameFrom = kNoNode; // going back down returns where we came from
};

} // namespace tessera::studio
