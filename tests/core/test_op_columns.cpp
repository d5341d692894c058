// The op registry's extension columns: a library registers a value of its own type on an
// existing row, reads it back through the row, and other rows and types stay empty.
#include "core/OpRegistry.h"

#include <QtTest>

#include <stdexcept>

using namespace tessera;

namespace {
struct LibraryColumn { // a type core does not know
    std::string tag;
};
struct OtherColumn {
    int value = 0;
};
} // namespace

class TestOpColumns : public QObject {
    Q_OBJECT
private slots:
    void registeredValueIsReadThroughTheRow()
    {
        OpRegistry::setColumn<LibraryColumn>("Relu", LibraryColumn{"relu forward"});
        Node node;
        node.opType = "Relu";
        const LibraryColumn* column = opDefOf(node)->column<LibraryColumn>();
        QVERIFY(column);
        QCOMPARE(column->tag, std::string("relu forward"));
        QVERIFY(!opDefOf(node)->column<OtherColumn>());                            // another type
        QVERIFY(!OpRegistry::global().find("Sigmoid")->column<LibraryColumn>()); // another row
    }
    void laterValueReplacesEarlier()
    {
        OpRegistry::setColumn<OtherColumn>("Add", OtherColumn{1});
        OpRegistry::setColumn<OtherColumn>("Add", OtherColumn{2});
        QCOMPARE(OpRegistry::global().find("Add")->column<OtherColumn>()->value, 2);
    }
    void unknownOpIsAProgrammingError()
    {
        QVERIFY_THROWS_EXCEPTION(std::logic_error, OpRegistry::setColumn<OtherColumn>("NoSuchOp", OtherColumn{}));
    }
};

QTEST_GUILESS_MAIN(TestOpColumns)
#include "test_op_columns.moc"
