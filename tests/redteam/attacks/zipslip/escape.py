"""A zip entry whose path climbs out of the extraction folder (../, absolute, backslashes): never written there."""
print("@WTOKEN@")
