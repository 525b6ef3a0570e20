import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// Every tensor of the model, grouped by layer (ModelController.tensors, a
// TensorTreeModel): name, type, shape, parameters and bytes, with each row's share
// of the model's bytes.
Card {
    id: root
    required property ModelController mc
    readonly property TensorTreeModel tensors: mc.tensors
    objectName: "tensorsCard"
    title: qsTr("Tensors by layer")
    subtitle: qsTr("%1 tensors in %2 groups").arg(tensors.tensorCount).arg(tensors.groupCount)
    icon: "layers"
    implicitHeight: 420  // it fills what the page leaves; the tree scrolls

    readonly property var fixedWidths: [0, 210, 150, 110, 170]
    function columnWidth(c) {
        if (c > 0) return fixedWidths[c]
        let rest = tree.width
        for (let i = 1; i < fixedWidths.length; ++i) rest -= fixedWidths[i]
        return Math.max(220, rest)
    }
    function expandFirst() {
        // The global tensors and the first layer open, the rest closed. expand()
        // takes a view row: the later one first, before rows open above it.
        if (root.tensors.groupCount > 1) tree.expand(1)
        tree.expand(0)
    }

    headerExtra: [
        Text {
            text: qsTr("Expand all")
            color: Theme.accent
            font.pixelSize: Theme.fontSm
            MouseArea { anchors.fill: parent; cursorShape: Qt.PointingHandCursor; onClicked: tree.expandRecursively() }
        },
        Text {
            text: qsTr("Collapse")
            color: Theme.accent
            font.pixelSize: Theme.fontSm
            MouseArea { anchors.fill: parent; cursorShape: Qt.PointingHandCursor; onClicked: tree.collapseRecursively() }
        }
    ]

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        Row {  // column titles
            Layout.fillWidth: true
            Layout.bottomMargin: 6
            Repeater {
                model: [qsTr("Tensor"), qsTr("Type"), qsTr("Shape"), qsTr("Parameters"), qsTr("Bytes")]
                SectionLabel {
                    required property string modelData
                    required property int index
                    width: root.columnWidth(index)
                    leftPadding: index === 0 ? 28 : 0
                    horizontalAlignment: index >= 3 ? Text.AlignRight : Text.AlignLeft
                    rightPadding: index >= 3 ? 12 : 0
                    text: modelData
                }
            }
        }
        Rectangle { Layout.fillWidth: true; height: 1; color: Theme.border }

        TreeView {
            id: tree
            objectName: "tensorTree"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: root.tensors
            columnWidthProvider: (c) => root.columnWidth(c)
            onWidthChanged: forceLayout()
            boundsBehavior: Flickable.StopAtBounds
            ScrollBar.vertical: ScrollBar {}
            Component.onCompleted: Qt.callLater(root.expandFirst)
            Connections {
                target: root.tensors
                function onLayoutReset() { Qt.callLater(root.expandFirst) }
            }

            delegate: Item {
                id: cell
                required property TreeView treeView
                required property bool isTreeNode
                required property bool expanded
                required property bool hasChildren
                required property int depth
                required property int row
                required property int column
                required property string display
                required property bool isGroup
                required property real share
                required property real relative
                required property string typeName

                implicitHeight: isGroup ? 34 : 28
                implicitWidth: root.columnWidth(column)

                Rectangle {  // row background: groups stand out, hover follows the pointer
                    anchors.fill: parent
                    color: cell.isGroup ? Theme.surfaceRaised : (cell.row % 2 ? "#181c24" : "transparent")
                }
                Rectangle {
                    visible: cell.isGroup && cell.column === 0
                    width: 2; height: parent.height
                    color: Theme.accent
                    opacity: cell.expanded ? 1 : 0
                }

                Icon {
                    id: chevron
                    visible: cell.isTreeNode && cell.hasChildren
                    name: "chevron"
                    size: 14
                    color: Theme.textDim
                    rotation: cell.expanded ? 90 : 0
                    x: 8 + cell.depth * 18
                    anchors.verticalCenter: parent.verticalCenter
                    Behavior on rotation { NumberAnimation { duration: 120 } }
                }

                Text {
                    visible: !(cell.column === 1 && !cell.isGroup)
                    anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter }
                    anchors.leftMargin: cell.column === 0 ? 28 + cell.depth * 18 : 0
                    anchors.rightMargin: cell.column >= 3 ? 12 : 8
                    horizontalAlignment: cell.column >= 3 ? Text.AlignRight : Text.AlignLeft
                    text: cell.display
                    elide: cell.column === 0 ? Text.ElideMiddle : Text.ElideRight
                    color: cell.isGroup ? Theme.text : (cell.column === 0 ? Theme.text : Theme.textDim)
                    font.pixelSize: Theme.fontSm
                    font.weight: cell.isGroup ? Font.DemiBold : Font.Normal
                    font.family: cell.column >= 2 || (cell.column === 0 && !cell.isGroup) ? Theme.mono : Theme.fontFamily
                }
                TypeChip {
                    visible: cell.column === 1 && !cell.isGroup
                    type: cell.typeName
                    anchors.verticalCenter: parent.verticalCenter
                }
                Rectangle {  // the row's share of the model's bytes
                    visible: cell.column === 4
                    anchors { left: parent.left; bottom: parent.bottom; bottomMargin: 3 }
                    height: 2
                    radius: 1
                    width: Math.max(1, (parent.width - 12) * cell.relative)
                    color: cell.isGroup ? Theme.accent : Theme.typeColor(cell.typeName)
                    opacity: 0.7
                }
                MouseArea {
                    anchors.fill: parent
                    enabled: cell.hasChildren
                    cursorShape: cell.hasChildren ? Qt.PointingHandCursor : Qt.ArrowCursor
                    onClicked: cell.treeView.toggleExpanded(cell.row)
                }
            }
        }
    }
}
