"""OData v4 pieces of the mock ERP: query options to SQL, paging, ETags, CSDL metadata."""
