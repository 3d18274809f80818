"""genas.search"""
