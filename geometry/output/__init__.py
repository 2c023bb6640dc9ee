"""The output layer, the only code that writes files (atomically): meshes, STEP, STL and GLB, the manifest and
geometry digest, the design folder, sections and pictures, the HTML viewer and the design report. It never names
a flow: flow-specific data (claims, levels, planes, thermal network) reaches it through the ``Flow`` object a
``Build`` carries."""
