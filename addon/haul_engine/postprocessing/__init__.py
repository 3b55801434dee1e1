"""Post-processing: finished downloads no *arr handles, put into the media folders by name."""
