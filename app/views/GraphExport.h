#pragma once
// File > Export Graph Image…: the whole graph (every node, not only the part in view) as a
// PNG picture or an SVG drawing, on the canvas colour of the current palette. The format
// follows the file's extension (.png, .svg). Written through QSaveFile: an existing file is
// replaced only by a complete one.
#include <QString>

class QGraphicsScene;

namespace tessera::studio {

// The PNG is drawn at up to 2x the scene's size, smaller for big graphs so that it stays
// within 16384 pixels a side and 64 megapixels. Throws tessera::Error naming the file when
// the extension is neither, the scene is empty or the file cannot be written.
void exportGraphImage(QGraphicsScene& scene, const QString& path);

} // namespace tessera::studio
