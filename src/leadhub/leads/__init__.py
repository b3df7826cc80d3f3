"""The legacy v1 Leads API: the lead view, its rules and its HTTP face.

Importing the package registers the store of v1 documents with every write
transaction (``docwrites``): whatever writes a lead, by any face, stores its
document again with the write.
"""

from leadhub.leads import documents as documents
from leadhub.leads import docwrites as docwrites
