"""genas.parallel"""
